"""outbox messages rendered by the worker: a message can be queued by description

A service may queue a message as a renderer's name and a small JSON payload (ids and the
values frozen when it was queued, such as an invitation's iTIP METHOD and SEQUENCE); the
mail worker writes the bodies just before sending. Until then ``text_body`` is NULL.
Existing messages are already rendered and keep their bodies.

Revision ID: b7e2d4a91c58
Revises: dc19b7a4dad9
Create Date: 2026-12-01 19:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e2d4a91c58'
down_revision = 'dc19b7a4dad9'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode rebuilds ``outbox_messages`` on SQLite; no other table references it.
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('renderer', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
        batch_op.alter_column('text_body', existing_type=sa.Text(), nullable=True)


def downgrade():
    # A message still waiting for its bodies cannot be kept by the older schema.
    op.execute(sa.text("DELETE FROM outbox_messages WHERE text_body IS NULL"))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('text_body', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('payload')
        batch_op.drop_column('renderer')
