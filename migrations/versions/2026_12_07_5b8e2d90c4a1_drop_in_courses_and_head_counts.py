"""drop-in courses, their head counts and the sheet for hearing about courses

A course may be marked drop-in: people just come, with no sign-up, and the room's capacity
may be told; so may one session of a course with sign-up (a taster). A drop-in session's register is a head count with no names (how many came,
and how many said it was their first, second or third visit). People at a drop-in who
would like to hear about courses leave what they choose to write, with their consent.

Revision ID: 5b8e2d90c4a1
Revises: 8d41b7c2e5f0
Create Date: 2026-12-07 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import college.db


# revision identifiers, used by Alembic.
revision = '5b8e2d90c4a1'
down_revision = '8d41b7c2e5f0'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode rebuilds ``courses`` on SQLite, which cannot add a CHECK constraint.
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('drop_in', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column('room_capacity', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_courses_room_capacity_positive'), 'room_capacity > 0'
        )
    op.add_column(
        'course_sessions',
        sa.Column('drop_in', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        'head_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('came', sa.Integer(), nullable=False),
        sa.Column('first_visits', sa.Integer(), nullable=False),
        sa.Column('second_visits', sa.Integer(), nullable=False),
        sa.Column('third_visits', sa.Integer(), nullable=False),
        sa.Column('recorded_at', college.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            'came >= 0 AND first_visits >= 0 AND second_visits >= 0 AND third_visits >= 0',
            name=op.f('ck_head_counts_counts_not_negative'),
        ),
        sa.CheckConstraint(
            'first_visits + second_visits + third_visits <= came',
            name=op.f('ck_head_counts_visits_within_came'),
        ),
        sa.ForeignKeyConstraint(
            ['session_id'],
            ['course_sessions.id'],
            name=op.f('fk_head_counts_session_id_course_sessions'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_head_counts')),
        sa.UniqueConstraint('session_id', name=op.f('uq_head_counts_session_id')),
    )
    op.create_table(
        'course_interests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=120), nullable=True),
        sa.Column('contact', sa.String(length=254), nullable=False),
        sa.Column('consented_at', college.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_at', college.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['session_id'],
            ['course_sessions.id'],
            name=op.f('fk_course_interests_session_id_course_sessions'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_course_interests')),
    )
    with op.batch_alter_table('course_interests', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_course_interests_created_at'), ['created_at'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_course_interests_session_id'), ['session_id'], unique=False
        )


def downgrade():
    op.drop_table('course_interests')
    op.drop_table('head_counts')
    with op.batch_alter_table('course_sessions', schema=None) as batch_op:
        batch_op.drop_column('drop_in')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_courses_room_capacity_positive'), type_='check')
        batch_op.drop_column('room_capacity')
        batch_op.drop_column('drop_in')
