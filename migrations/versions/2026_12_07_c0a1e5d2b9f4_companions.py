"""companions: a student and the person they come with, "both or none"

One row per pair, beside the student's enrolment. Until the companion confirms with an
account of their own, the place held for them counts in ``courses.seats_taken`` through
this row; the invitation's link carries a random token, and only its hash is stored.

Revision ID: c0a1e5d2b9f4
Revises: c7a2e9d41f60
Create Date: 2026-12-07 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import college.db


# revision identifiers, used by Alembic.
revision = 'c0a1e5d2b9f4'
down_revision = 'c7a2e9d41f60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'companions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('student_enrolment_id', sa.Integer(), nullable=False),
        sa.Column('companion_enrolment_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=120), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('relation', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('hold_expires_at', college.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('student_asked', sa.Boolean(), nullable=False),
        sa.Column('created_at', college.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', college.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            'companion_enrolment_id IS NULL OR companion_enrolment_id <> student_enrolment_id',
            name=op.f('ck_companions_two_people'),
        ),
        sa.ForeignKeyConstraint(
            ['companion_enrolment_id'],
            ['enrolments.id'],
            name=op.f('fk_companions_companion_enrolment_id_enrolments'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['course_id'],
            ['courses.id'],
            name=op.f('fk_companions_course_id_courses'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['student_enrolment_id'],
            ['enrolments.id'],
            name=op.f('fk_companions_student_enrolment_id_enrolments'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_companions')),
        sa.UniqueConstraint(
            'companion_enrolment_id', name=op.f('uq_companions_companion_enrolment_id')
        ),
        sa.UniqueConstraint(
            'student_enrolment_id', name=op.f('uq_companions_student_enrolment_id')
        ),
        sa.UniqueConstraint('token_hash', name=op.f('uq_companions_token_hash')),
    )
    with op.batch_alter_table('companions', schema=None) as batch_op:
        batch_op.create_index(
            'ix_companions_course_status', ['course_id', 'status'], unique=False
        )
        batch_op.create_index(
            'ix_companions_status_hold', ['status', 'hold_expires_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('companions', schema=None) as batch_op:
        batch_op.drop_index('ix_companions_status_hold')
        batch_op.drop_index('ix_companions_course_status')
    op.drop_table('companions')
