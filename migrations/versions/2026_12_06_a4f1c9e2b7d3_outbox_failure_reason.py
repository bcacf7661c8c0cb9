"""outbox messages keep why they were not sent

The mail page tells admins what went wrong in plain words; ``failure`` holds the reason as
one of a few codes (``college.models.MailFailure``), beside the technical ``last_error``.
Messages that failed before this revision have no code and are shown as "unexpected".

Revision ID: a4f1c9e2b7d3
Revises: 5c2e8f1a9d36
Create Date: 2026-12-06 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4f1c9e2b7d3'
down_revision = '5c2e8f1a9d36'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('outbox_messages', sa.Column('failure', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('failure')
