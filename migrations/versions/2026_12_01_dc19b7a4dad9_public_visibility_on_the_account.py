"""public visibility on the account: the courses package can honour it on public pages

A peer trainer may be shown on the prospectus, course pages, JSON API and calendars as
only their role ("Peer trainer"). The choice moves from ``peer_profiles`` to ``users`` so
that the courses package, which draws those pages, reads it without importing peers (and
without a query per facilitator). Existing choices are copied across.

Revision ID: dc19b7a4dad9
Revises: 6923e0f925a7
Create Date: 2026-12-01 19:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dc19b7a4dad9'
down_revision = '6923e0f925a7'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE on ``users``, never batch mode: rebuilding the table on SQLite would
    # drop it, and every row that references a person would go with it (ON DELETE CASCADE).
    op.add_column(
        'users',
        sa.Column('public_visibility', sa.String(length=16), server_default='name', nullable=False),
    )
    op.execute(sa.text(
        "UPDATE users SET public_visibility = ("
        " SELECT peer_profiles.public_visibility FROM peer_profiles"
        " WHERE peer_profiles.user_id = users.id)"
        " WHERE id IN (SELECT user_id FROM peer_profiles)"
    ))
    with op.batch_alter_table('peer_profiles', schema=None) as batch_op:
        batch_op.drop_column('public_visibility')


def downgrade():
    with op.batch_alter_table('peer_profiles', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('public_visibility', sa.String(length=16), server_default='name', nullable=False)
        )
    op.execute(sa.text(
        "UPDATE peer_profiles SET public_visibility = ("
        " SELECT users.public_visibility FROM users WHERE users.id = peer_profiles.user_id)"
    ))
    # SQLite 3.35 and later drop a column in place (see upgrade: no rebuild of ``users``).
    op.drop_column('users', 'public_visibility')
