"""outcome ratings before and after, in versioned questionnaires of the college's areas

Adds the college's outcome areas in versioned questionnaires, the version each term uses,
anonymous answers (before or after a course, with no link to a person) and their scores,
and the pairing kept per enrolment until the second answer.

Today's four feedback questions become version 1, and every feedback answer given so far is
copied into it as an answer after the course (with no pair), so past answers stay readable
in the outcome figures; the terms they belong to use version 1. The feedback rows stay as
they are.

Revision ID: c7a2e9d41f60
Revises: 5b8e2d90c4a1
Create Date: 2026-12-07 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import college.db


# revision identifiers, used by Alembic.
revision = 'c7a2e9d41f60'
down_revision = '5b8e2d90c4a1'
branch_labels = None
depends_on = None

# Today's four questions, as worded on the feedback form in English and in Danish.
VERSION_1 = [
    ('hope', 'I feel more hope for my own recovery', 'Jeg føler mere håb for min egen recovery'),
    ('knowledge', 'I learned something I can use', 'Jeg har lært noget, jeg kan bruge'),
    (
        'everyday_tools',
        'I have new tools for everyday life',
        'Jeg har fået nye redskaber til hverdagen',
    ),
    (
        'connectedness',
        'I felt connected to the others on the course',
        'Jeg følte mig forbundet med de andre på kurset',
    ),
]


def create_tables():
    op.create_table(
        'outcome_questionnaires',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', college.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_questionnaires')),
        sa.UniqueConstraint('version', name=op.f('uq_outcome_questionnaires_version')),
    )
    op.create_table(
        'outcome_areas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('statement_en', sa.String(length=200), nullable=False),
        sa.Column('statement_da', sa.String(length=200), nullable=False),
        sa.Column('low_en', sa.String(length=80), nullable=False),
        sa.Column('low_da', sa.String(length=80), nullable=False),
        sa.Column('high_en', sa.String(length=80), nullable=False),
        sa.Column('high_da', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ['questionnaire_id'],
            ['outcome_questionnaires.id'],
            name=op.f('fk_outcome_areas_questionnaire_id_outcome_questionnaires'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_areas')),
        sa.UniqueConstraint('questionnaire_id', 'position', name='uq_outcome_areas_position'),
    )
    with op.batch_alter_table('outcome_areas', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_outcome_areas_questionnaire_id'), ['questionnaire_id'], unique=False
        )
    op.create_table(
        'outcome_term_questionnaires',
        sa.Column('term_id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['questionnaire_id'],
            ['outcome_questionnaires.id'],
            name=op.f('fk_outcome_term_questionnaires_questionnaire_id_outcome_questionnaires'),
        ),
        sa.ForeignKeyConstraint(
            ['term_id'],
            ['terms.id'],
            name=op.f('fk_outcome_term_questionnaires_term_id_terms'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('term_id', name=op.f('pk_outcome_term_questionnaires')),
    )
    op.create_table(
        'outcome_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_id', sa.Integer(), nullable=False),
        sa.Column('moment', sa.String(length=8), nullable=False),
        sa.Column('pair', sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "moment IN ('before', 'after')", name=op.f('ck_outcome_answers_moment_known')
        ),
        sa.ForeignKeyConstraint(
            ['course_id'],
            ['courses.id'],
            name=op.f('fk_outcome_answers_course_id_courses'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['questionnaire_id'],
            ['outcome_questionnaires.id'],
            name=op.f('fk_outcome_answers_questionnaire_id_outcome_questionnaires'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_answers')),
        sa.UniqueConstraint('pair', 'moment', name='uq_outcome_answers_pair_moment'),
    )
    with op.batch_alter_table('outcome_answers', schema=None) as batch_op:
        batch_op.create_index(
            'ix_outcome_answers_course_moment', ['course_id', 'moment'], unique=False
        )
    op.create_table(
        'outcome_scores',
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.CheckConstraint(
            'score BETWEEN 0 AND 10', name=op.f('ck_outcome_scores_score_in_range')
        ),
        sa.ForeignKeyConstraint(
            ['answer_id'],
            ['outcome_answers.id'],
            name=op.f('fk_outcome_scores_answer_id_outcome_answers'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['area_id'],
            ['outcome_areas.id'],
            name=op.f('fk_outcome_scores_area_id_outcome_areas'),
        ),
        sa.PrimaryKeyConstraint('answer_id', 'area_id', name=op.f('pk_outcome_scores')),
    )
    op.create_table(
        'outcome_pairings',
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('before', sa.String(length=8), nullable=True),
        sa.Column('after', sa.String(length=8), nullable=True),
        sa.Column('pair', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ['enrolment_id'],
            ['enrolments.id'],
            name=op.f('fk_outcome_pairings_enrolment_id_enrolments'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('enrolment_id', name=op.f('pk_outcome_pairings')),
    )


def keep_feedback_as_version_1():
    """Version 1 holds today's four questions; past feedback is copied in as after-answers."""
    connection = op.get_bind()
    questionnaires = sa.table(
        'outcome_questionnaires',
        sa.column('id', sa.Integer),
        sa.column('version', sa.Integer),
        sa.column('created_at', college.db.UTCDateTime(timezone=True)),
    )
    areas = sa.table(
        'outcome_areas',
        *(sa.column(name) for name in ('questionnaire_id', 'position', 'statement_en')),
        *(sa.column(name) for name in ('statement_da', 'low_en', 'low_da', 'high_en', 'high_da')),
    )
    connection.execute(
        sa.insert(questionnaires).values(version=1, created_at=college.db.now_utc())
    )
    version_id = connection.execute(
        sa.select(questionnaires.c.id).where(questionnaires.c.version == 1)
    ).scalar_one()
    for position, (_key, english, danish) in enumerate(VERSION_1, start=1):
        connection.execute(
            sa.insert(areas).values(
                questionnaire_id=version_id,
                position=position,
                statement_en=english,
                statement_da=danish,
                low_en='Not at all',
                low_da='Slet ikke',
                high_en='Very much',
                high_da='Rigtig meget',
            )
        )
    area_ids = dict(
        connection.execute(
            sa.text(
                'SELECT position, id FROM outcome_areas WHERE questionnaire_id = :version'
            ),
            {'version': version_id},
        ).all()
    )
    feedback = connection.execute(
        sa.text(
            'SELECT id, course_id, hope, knowledge, everyday_tools, connectedness'
            ' FROM feedback ORDER BY id'
        )
    ).all()
    for row in feedback:
        answer_id = connection.execute(
            sa.text(
                "INSERT INTO outcome_answers (course_id, questionnaire_id, moment)"
                " VALUES (:course, :version, 'after') RETURNING id"
            ),
            {'course': row.course_id, 'version': version_id},
        ).scalar_one()
        scores = (row.hope, row.knowledge, row.everyday_tools, row.connectedness)
        connection.execute(
            sa.text(
                'INSERT INTO outcome_scores (answer_id, area_id, score)'
                ' VALUES (:answer, :area, :score)'
            ),
            [
                {'answer': answer_id, 'area': area_ids[position], 'score': score}
                for position, score in enumerate(scores, start=1)
            ],
        )
    connection.execute(
        sa.text(
            'INSERT INTO outcome_term_questionnaires (term_id, questionnaire_id)'
            ' SELECT DISTINCT courses.term_id, :version FROM feedback'
            ' JOIN courses ON courses.id = feedback.course_id'
        ),
        {'version': version_id},
    )


def upgrade():
    create_tables()
    keep_feedback_as_version_1()


def downgrade():
    op.drop_table('outcome_pairings')
    op.drop_table('outcome_scores')
    with op.batch_alter_table('outcome_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_outcome_answers_course_moment')
    op.drop_table('outcome_answers')
    op.drop_table('outcome_term_questionnaires')
    with op.batch_alter_table('outcome_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_areas_questionnaire_id'))
    op.drop_table('outcome_areas')
    op.drop_table('outcome_questionnaires')
