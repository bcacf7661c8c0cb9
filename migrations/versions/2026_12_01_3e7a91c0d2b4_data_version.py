"""data version: one counter that every change of shown data raises, for kept pages

Revision ID: 3e7a91c0d2b4
Revises: 3f6a1c9d2b70
Create Date: 2026-12-01 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e7a91c0d2b4'
down_revision = '3f6a1c9d2b70'
branch_labels = None
depends_on = None


def upgrade():
    versions = op.create_table('data_versions',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_data_versions'))
    )
    op.bulk_insert(versions, [{'name': 'data', 'version': 0}])


def downgrade():
    op.drop_table('data_versions')
