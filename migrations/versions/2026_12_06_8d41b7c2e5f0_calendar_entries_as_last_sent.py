"""calendar entries as last sent, per person and session

The mail worker compares the event the college would send each person for each session
with a digest of the one it last sent them, and sends an update only where the two differ
(``courses.invites``). Invitations sent before this revision went out one per session,
under the session's own UID and SEQUENCE: they are recorded so, with an empty digest, so
that the worker brings each of them up to date (or replaces them with the course's weekly
series) rather than leaving a second copy in people's calendars. Invitations queued one per
session and not yet written are not needed any more: the worker writes what is due.

Revision ID: 8d41b7c2e5f0
Revises: 8d3b6e2f4a17
Create Date: 2026-12-06 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import college.db


# revision identifiers, used by Alembic.
revision = '8d41b7c2e5f0'
down_revision = '8d3b6e2f4a17'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_entries',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=255), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=True),
        sa.Column('shown', sa.JSON(), nullable=True),
        sa.Column('sent_at', college.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            'sequence >= 0', name=op.f('ck_calendar_entries_sequence_not_negative')
        ),
        sa.ForeignKeyConstraint(
            ['session_id'],
            ['course_sessions.id'],
            name=op.f('fk_calendar_entries_session_id_course_sessions'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['users.id'],
            name=op.f('fk_calendar_entries_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('user_id', 'session_id', name=op.f('pk_calendar_entries')),
    )
    with op.batch_alter_table('calendar_entries', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_calendar_entries_session_id'), ['session_id'], unique=False
        )
    # Typed, so that SQLite gets the same naive UTC text its columns hold.
    now = sa.bindparam('now', college.db.now_utc(), type_=college.db.UTCDateTime())
    upcoming = (
        "JOIN courses c ON c.id = s.course_id "
        "WHERE c.status = 'published' AND s.status = 'scheduled' AND s.ends_at > :now"
    )
    insert = "INSERT INTO calendar_entries (user_id, session_id, uid, sequence, digest, sent_at) "
    op.get_bind().execute(
        sa.text(
            insert + "SELECT f.user_id, s.id, s.uid, s.sequence, '', :now "
            "FROM session_facilitators f JOIN course_sessions s ON s.id = f.session_id "
            + upcoming
        ).bindparams(now)
    )
    op.get_bind().execute(
        sa.text(
            insert + "SELECT e.student_id, s.id, s.uid, s.sequence, '', :now "
            "FROM enrolments e JOIN course_sessions s ON s.course_id = e.course_id "
            + upcoming
            + " AND e.status = 'enrolled' AND e.student_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM calendar_entries x "
            "WHERE x.user_id = e.student_id AND x.session_id = s.id)"
        ).bindparams(now)
    )
    op.execute(
        "UPDATE outbox_messages SET status = 'cancelled', "
        "last_error = 'No longer needed: calendars are brought up to date by the mail worker' "
        "WHERE renderer = 'courses.invitation' AND status = 'pending' AND text_body IS NULL"
    )


def downgrade():
    with op.batch_alter_table('calendar_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_entries_session_id'))
    op.drop_table('calendar_entries')
