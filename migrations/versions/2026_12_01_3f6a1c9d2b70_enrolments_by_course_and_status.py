"""enrolments: an index on course and status

The admin dashboard counts places, offers and waiting lists per course of a term, and the
waiting-list and register questions ask for one course's rows of one status; with
thousands of enrolments a term, these read the index instead of the whole table.

Revision ID: 3f6a1c9d2b70
Revises: 8d4e0f3b5a21
Create Date: 2026-12-01 18:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3f6a1c9d2b70'
down_revision = '8d4e0f3b5a21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index('ix_enrolments_course_status', ['course_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index('ix_enrolments_course_status')
