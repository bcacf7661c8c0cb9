"""courses: terms, venues, partners, courses, sessions and their facilitators

Every constraint is named (see college.db.NAMING_CONVENTION), so SQLite's batch mode and
PostgreSQL agree. ``courses.seats_taken`` is kept within ``capacity`` by check constraints,
so enrolment can take a place with one conditional UPDATE.

Revision ID: 6b0ba8281279
Revises: 185abb3f071a
Create Date: 2026-11-22 14:30:12.022557

"""
from alembic import op
import sqlalchemy as sa

import college.db


# revision identifiers, used by Alembic.
revision = '6b0ba8281279'
down_revision = '185abb3f071a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('name', name=op.f('uq_partners_name'))
    )
    op.create_table('terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('enrolment_opens_at', college.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('enrolment_closes_at', college.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_terms_dates_in_order')),
    sa.CheckConstraint('enrolment_opens_at IS NULL OR enrolment_closes_at IS NULL OR enrolment_closes_at > enrolment_opens_at', name=op.f('ck_terms_enrolment_in_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_terms')),
    sa.UniqueConstraint('name', name=op.f('uq_terms_name'))
    )
    op.create_table('venues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('accessibility_notes', sa.String(length=2000), nullable=True),
    sa.Column('is_online', sa.Boolean(), nullable=False),
    sa.Column('meeting_link', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venues')),
    sa.UniqueConstraint('name', name=op.f('uq_venues_name'))
    )
    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('learning_outcomes', sa.Text(), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('seats_taken', sa.Integer(), server_default='0', nullable=False),
    sa.Column('required_programme', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', college.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_courses_capacity_positive')),
    sa.CheckConstraint('seats_taken <= capacity', name=op.f('ck_courses_seats_within_capacity')),
    sa.CheckConstraint('seats_taken >= 0', name=op.f('ck_courses_seats_not_negative')),
    sa.ForeignKeyConstraint(['term_id'], ['terms.id'], name=op.f('fk_courses_term_id_terms')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_courses_venue_id_venues'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses')),
    sa.UniqueConstraint('slug', name=op.f('uq_courses_slug'))
    )
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_term_id'), ['term_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_venue_id'), ['venue_id'], unique=False)

    op.create_table('course_facilitators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_facilitators_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_facilitators_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_facilitators')),
    sa.UniqueConstraint('course_id', 'user_id', name='uq_course_facilitators_course_user')
    )
    with op.batch_alter_table('course_facilitators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_facilitators_user_id'), ['user_id'], unique=False)

    op.create_table('course_partners',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_partners_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_course_partners_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'partner_id', name=op.f('pk_course_partners'))
    )
    op.create_table('course_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('local_weekday', sa.SmallInteger(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=255), nullable=False),
    sa.Column('created_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_course_sessions_ends_after_start')),
    sa.CheckConstraint('local_weekday BETWEEN 0 AND 6', name=op.f('ck_course_sessions_weekday_range')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_course_sessions_sequence_not_negative')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_sessions_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_course_sessions_venue_id_venues'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_sessions')),
    sa.UniqueConstraint('uid', name=op.f('uq_course_sessions_uid'))
    )
    with op.batch_alter_table('course_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_course_sessions_course_starts', ['course_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_course_sessions_starts_at', ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_sessions_venue_id'), ['venue_id'], unique=False)

    op.create_table('session_facilitators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['course_sessions.id'], name=op.f('fk_session_facilitators_session_id_course_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_facilitators_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_facilitators')),
    sa.UniqueConstraint('session_id', 'user_id', name='uq_session_facilitators_session_user')
    )
    with op.batch_alter_table('session_facilitators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_facilitators_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('session_facilitators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_facilitators_user_id'))

    op.drop_table('session_facilitators')
    with op.batch_alter_table('course_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_sessions_venue_id'))
        batch_op.drop_index('ix_course_sessions_starts_at')
        batch_op.drop_index('ix_course_sessions_course_starts')

    op.drop_table('course_sessions')
    op.drop_table('course_partners')
    with op.batch_alter_table('course_facilitators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_facilitators_user_id'))

    op.drop_table('course_facilitators')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_venue_id'))
        batch_op.drop_index(batch_op.f('ix_courses_term_id'))
        batch_op.drop_index(batch_op.f('ix_courses_status'))

    op.drop_table('courses')
    op.drop_table('venues')
    op.drop_table('terms')
    op.drop_table('partners')
