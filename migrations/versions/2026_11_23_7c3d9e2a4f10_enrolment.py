"""enrolment: places and the waiting list, attendance registers, anonymous feedback

One enrolment row per student and course (a double click cannot make two); the waiting
list is ordered by ``waitlist_number``, unique per course. ``feedback`` has no column that
points at a person, on purpose.

Revision ID: 7c3d9e2a4f10
Revises: 6b0ba8281279
Create Date: 2026-11-23 14:24:57.038820

"""
from alembic import op
import sqlalchemy as sa

import college.db


# revision identifiers, used by Alembic.
revision = '7c3d9e2a4f10'
down_revision = '6b0ba8281279'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('waitlist_number', sa.Integer(), nullable=True),
    sa.Column('offer_expires_at', college.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminder_sent_at', college.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('feedback_invited_at', college.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('feedback_given', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_enrolments_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_enrolments_student_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments')),
    sa.UniqueConstraint('course_id', 'student_id', name='uq_enrolments_course_student'),
    sa.UniqueConstraint('course_id', 'waitlist_number', name='uq_enrolments_course_queue')
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index('ix_enrolments_status_offer', ['status', 'offer_expires_at'], unique=False)
        batch_op.create_index('ix_enrolments_student_status', ['student_id', 'status'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('hope', sa.Integer(), nullable=False),
    sa.Column('knowledge', sa.Integer(), nullable=False),
    sa.Column('everyday_tools', sa.Integer(), nullable=False),
    sa.Column('connectedness', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.CheckConstraint('hope BETWEEN 0 AND 10 AND knowledge BETWEEN 0 AND 10 AND everyday_tools BETWEEN 0 AND 10 AND connectedness BETWEEN 0 AND 10', name=op.f('ck_feedback_scores_in_range')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_feedback_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_course_id'), ['course_id'], unique=False)

    op.create_table('attendances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('recorded_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('missed_note_sent', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_attendances_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['course_sessions.id'], name=op.f('fk_attendances_session_id_course_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_attendances_student_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendances')),
    sa.UniqueConstraint('session_id', 'student_id', name='uq_attendances_session_student')
    )
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.create_index('ix_attendances_student_id', ['student_id'], unique=False)


def downgrade():
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_index('ix_attendances_student_id')

    op.drop_table('attendances')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_course_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index('ix_enrolments_student_status')
        batch_op.drop_index('ix_enrolments_status_offer')

    op.drop_table('enrolments')
