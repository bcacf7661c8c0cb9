"""peers: profiles, training programmes and cohorts, absences, cover requests and offers

The two built-in programmes are inserted here, with the codes of the core's ``Programme``
enum, so a fresh database can open cohorts at once. Cover requests are won with one
conditional UPDATE on ``cover_requests.status``.

Revision ID: 8d4e0f3b5a21
Revises: 7c3d9e2a4f10
Create Date: 2026-11-23 14:51:08.696217

"""
from alembic import op
import sqlalchemy as sa

import college.db


# revision identifiers, used by Alembic.
revision = '8d4e0f3b5a21'
down_revision = "7c3d9e2a4f10"
branch_labels = None
depends_on = None


def upgrade():
    programmes = op.create_table('training_programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('meeting_count', sa.Integer(), nullable=False),
    sa.Column('completion_percent', sa.Integer(), nullable=False),
    sa.Column('valid_for_months', sa.Integer(), nullable=True),
    sa.Column('built_in', sa.Boolean(), nullable=False),
    sa.CheckConstraint('completion_percent BETWEEN 1 AND 100', name=op.f('ck_training_programmes_completion_range')),
    sa.CheckConstraint('meeting_count BETWEEN 1 AND 60', name=op.f('ck_training_programmes_meeting_count_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_programmes')),
    sa.UniqueConstraint('code', name=op.f('uq_training_programmes_code'))
    )
    op.create_table('absences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('private_note', sa.String(length=500), nullable=True),
    sa.Column('created_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', college.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_absences_ends_after_start')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_absences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_absences'))
    )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absences_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_absences_user_period', ['user_id', 'starts_at', 'ends_at'], unique=False)

    op.create_table('cohorts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('created_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('places BETWEEN 1 AND 200', name=op.f('ck_cohorts_places_range')),
    sa.ForeignKeyConstraint(['programme_id'], ['training_programmes.id'], name=op.f('fk_cohorts_programme_id_training_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohorts'))
    )
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohorts_programme_id'), ['programme_id'], unique=False)

    op.create_table('peer_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('max_sessions_per_week', sa.Integer(), nullable=False),
    sa.Column('liked_topics', sa.String(length=200), nullable=False),
    sa.Column('public_visibility', sa.String(length=16), nullable=False),
    sa.Column('updated_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('max_sessions_per_week BETWEEN 0 AND 20', name=op.f('ck_peer_profiles_weekly_maximum_range')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_peer_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_peer_profiles'))
    )
    op.create_table('unavailabilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.Column('created_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends > starts', name=op.f('ck_unavailabilities_ends_after_start')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_unavailabilities_weekday_range')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_unavailabilities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unavailabilities'))
    )
    with op.batch_alter_table('unavailabilities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unavailabilities_user_id'), ['user_id'], unique=False)

    op.create_table('cohort_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('starts_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_cohort_meetings_ends_after_start')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_meetings_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_meetings')),
    sa.UniqueConstraint('cohort_id', 'number', name='uq_cohort_meetings_cohort_number')
    )
    op.create_table('cohort_trainers',
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_trainers_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cohort_trainers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cohort_id', 'user_id', name=op.f('pk_cohort_trainers'))
    )
    op.create_table('qualification_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('qualification_id', sa.Integer(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('sent_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['qualification_id'], ['qualifications.id'], name=op.f('fk_qualification_reminders_qualification_id_qualifications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_reminders')),
    sa.UniqueConstraint('qualification_id', 'expires_on', name='uq_qualification_reminders_expiry')
    )
    op.create_table('training_places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('placed_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_training_places_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_training_places_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_places')),
    sa.UniqueConstraint('cohort_id', 'user_id', name='uq_training_places_cohort_user')
    )
    with op.batch_alter_table('training_places', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_places_user_id'), ['user_id'], unique=False)

    op.create_table('cover_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('absent_user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('filled_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', college.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('alerted_at', college.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', college.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['absent_user_id'], ['users.id'], name=op.f('fk_cover_requests_absent_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['filled_by_id'], ['users.id'], name=op.f('fk_cover_requests_filled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['course_sessions.id'], name=op.f('fk_cover_requests_session_id_course_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cover_requests'))
    )
    with op.batch_alter_table('cover_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cover_requests_absent_user_id'), ['absent_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cover_requests_filled_by_id'), ['filled_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cover_requests_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cover_requests_status'), ['status'], unique=False)

    op.create_table('training_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['cohort_meetings.id'], name=op.f('fk_training_attendance_meeting_id_cohort_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_training_attendance_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_training_attendance_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_attendance')),
    sa.UniqueConstraint('meeting_id', 'user_id', name='uq_training_attendance_meeting_user')
    )
    with op.batch_alter_table('training_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_attendance_user_id'), ['user_id'], unique=False)

    op.create_table('cover_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('offered_at', college.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('responded_at', college.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['cover_requests.id'], name=op.f('fk_cover_offers_request_id_cover_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cover_offers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cover_offers')),
    sa.UniqueConstraint('request_id', 'user_id', name='uq_cover_offers_request_user')
    )
    with op.batch_alter_table('cover_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cover_offers_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cover_offers_user_id'), ['user_id'], unique=False)

    op.bulk_insert(programmes, [
        {'code': 'five_day', 'name': 'Five-day programme for peer workers', 'meeting_count': 5,
         'completion_percent': 100, 'valid_for_months': None, 'built_in': True},
        {'code': 'five_week', 'name': 'Five-week programme for peer support', 'meeting_count': 10,
         'completion_percent': 80, 'valid_for_months': None, 'built_in': True},
    ])



def downgrade():
    with op.batch_alter_table('cover_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cover_offers_user_id'))
        batch_op.drop_index(batch_op.f('ix_cover_offers_request_id'))

    op.drop_table('cover_offers')
    with op.batch_alter_table('training_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_attendance_user_id'))

    op.drop_table('training_attendance')
    with op.batch_alter_table('cover_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cover_requests_status'))
        batch_op.drop_index(batch_op.f('ix_cover_requests_session_id'))
        batch_op.drop_index(batch_op.f('ix_cover_requests_filled_by_id'))
        batch_op.drop_index(batch_op.f('ix_cover_requests_absent_user_id'))

    op.drop_table('cover_requests')
    with op.batch_alter_table('training_places', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_places_user_id'))

    op.drop_table('training_places')
    op.drop_table('qualification_reminders')
    op.drop_table('cohort_trainers')
    op.drop_table('cohort_meetings')
    with op.batch_alter_table('unavailabilities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unavailabilities_user_id'))

    op.drop_table('unavailabilities')
    op.drop_table('peer_profiles')
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohorts_programme_id'))

    op.drop_table('cohorts')
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_index('ix_absences_user_period')
        batch_op.drop_index(batch_op.f('ix_absences_user_id'))

    op.drop_table('absences')
    op.drop_table('training_programmes')
