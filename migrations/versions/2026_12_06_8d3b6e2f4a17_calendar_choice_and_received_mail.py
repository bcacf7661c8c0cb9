"""a person chooses invitations or the feed; replies read from the mailbox are kept once

``users.calendar_choice`` says how a person wants their sessions in their calendar:
``invitations`` by mail (everyone until now) or the personal ``feed``. ``received_mail``
remembers each message read from the college's mailbox by a digest of its Message-ID, so
that a reply is acted on once however often the mailbox is read.

Revision ID: 8d3b6e2f4a17
Revises: a4f1c9e2b7d3
Create Date: 2026-12-06 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import college.db


# revision identifiers, used by Alembic.
revision = '8d3b6e2f4a17'
down_revision = 'a4f1c9e2b7d3'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'users',
        sa.Column(
            'calendar_choice', sa.String(length=16), server_default='invitations', nullable=False
        ),
    )
    op.create_table(
        'received_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_key', sa.String(length=64), nullable=False),
        sa.Column('outcome', sa.String(length=32), nullable=False),
        sa.Column('received_at', college.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_received_mail')),
        sa.UniqueConstraint('message_key', name=op.f('uq_received_mail_message_key')),
    )


def downgrade():
    op.drop_table('received_mail')
    # Batch mode rebuilds ``users`` on SQLite.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('calendar_choice')
