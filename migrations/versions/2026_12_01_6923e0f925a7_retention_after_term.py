"""retention after the term: enrolments and register marks may lose their student

``apply-retention`` clears ``student_id`` on the enrolments and attendance marks of terms
that ended longer ago than ``RETENTION_MONTHS_AFTER_TERM``: the rows keep counting in the
term's figures but no longer say whose they were. Two NULLs never clash in a unique
constraint, on SQLite or PostgreSQL, so one enrolment per student and course still holds.

Downgrading needs those rows gone first (a NOT NULL column cannot hold them), so it
deletes them: the term's figures then lose the anonymised rows.

Revision ID: 6923e0f925a7
Revises: 3e7a91c0d2b4
Create Date: 2026-12-01 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6923e0f925a7'
down_revision = '3e7a91c0d2b4'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('enrolments', 'attendances'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('student_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    for table in ('enrolments', 'attendances'):
        op.execute(sa.text(f'DELETE FROM {table} WHERE student_id IS NULL'))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('student_id', existing_type=sa.Integer(), nullable=False)
