"""cover offers know whether their email was written

The mail worker writes an offer to cover just before sending it. An offer a colleague
took first is not written at all, and then its "the session is covered" note is not sent
either: it would tell someone about an offer they never had. ``mailed_at`` says which
offers went out. Offers made before this revision are taken to have gone out, as they did.

Revision ID: 5c2e8f1a9d36
Revises: b7e2d4a91c58
Create Date: 2026-12-04 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import college.db


# revision identifiers, used by Alembic.
revision = '5c2e8f1a9d36'
down_revision = 'b7e2d4a91c58'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'cover_offers',
        sa.Column('mailed_at', college.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute(sa.text("UPDATE cover_offers SET mailed_at = offered_at"))


def downgrade():
    # Batch mode rebuilds ``cover_offers`` on SQLite; no other table references it.
    with op.batch_alter_table('cover_offers', schema=None) as batch_op:
        batch_op.drop_column('mailed_at')
