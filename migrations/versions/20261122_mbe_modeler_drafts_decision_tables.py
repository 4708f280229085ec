"""MBE, modeler drafts, decision tables, counselling log, volunteers work and partner network

Revision ID: 5b5b33bf46ec
Revises: 554081ddd277
Create Date: 2026-11-22 22:36:22.076703

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b5b33bf46ec'
down_revision = '554081ddd277'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('typ', sa.String(length=40), nullable=False),
    sa.Column('anschrift', sa.String(length=300), nullable=False),
    sa.Column('notiz', sa.Text(), nullable=False),
    sa.Column('intensitaet', sa.Integer(), nullable=False),
    sa.Column('wichtigkeit', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_partner_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner'))
    )
    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.create_index('ix_partner_org_name', ['organisation_id', 'name'], unique=False)

    op.create_table('decision_table',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.String(length=120), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('dmn_xml', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_decision_table_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_table')),
    sa.UniqueConstraint('decision_id', 'number', name='uq_decision_table_number')
    )
    with op.batch_alter_table('decision_table', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_table_decision_id'), ['decision_id'], unique=False)

    op.create_table('mbe_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('vorname', sa.String(length=120), nullable=False),
    sa.Column('nachname', sa.String(length=120), nullable=False),
    sa.Column('vorname_norm', sa.String(length=120), nullable=False),
    sa.Column('nachname_norm', sa.String(length=120), nullable=False),
    sa.Column('geburtsdatum', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_mbe_client_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_mbe_client_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_mbe_client_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mbe_client'))
    )
    with op.batch_alter_table('mbe_client', schema=None) as batch_op:
        batch_op.create_index('ix_mbe_client_org_dob', ['organisation_id', 'geburtsdatum'], unique=False)
        batch_op.create_index('ix_mbe_client_org_nachname', ['organisation_id', 'nachname_norm'], unique=False)
        batch_op.create_index('ix_mbe_client_org_vorname', ['organisation_id', 'vorname_norm'], unique=False)
        batch_op.create_index(batch_op.f('ix_mbe_client_team_id'), ['team_id'], unique=False)

    op.create_table('partner_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('funktion', sa.String(length=200), nullable=False),
    sa.Column('telefon', sa.String(length=60), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_partner_contact_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_contact'))
    )
    with op.batch_alter_table('partner_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_contact_partner_id'), ['partner_id'], unique=False)

    op.create_table('partner_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('jahr', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('typ', sa.String(length=40), nullable=False),
    sa.Column('intensitaet', sa.Integer(), nullable=False),
    sa.Column('wichtigkeit', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_partner_year_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_partner_year_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_year')),
    sa.UniqueConstraint('partner_id', 'jahr', name='uq_partner_year')
    )
    with op.batch_alter_table('partner_year', schema=None) as batch_op:
        batch_op.create_index('ix_partner_year_org_jahr', ['organisation_id', 'jahr'], unique=False)

    op.create_table('training',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('datum', sa.Date(), nullable=False),
    sa.Column('uhrzeit', sa.String(length=5), nullable=False),
    sa.Column('ort', sa.String(length=200), nullable=False),
    sa.Column('thema', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_training_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training'))
    )
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_datum'), ['datum'], unique=False)

    op.create_table('process_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('base_version_number', sa.Integer(), nullable=True),
    sa.Column('bpmn_xml', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('published_version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user_account.id'], name=op.f('fk_process_draft_approved_by_id_user_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_process_draft_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['model_id'], ['process_model.id'], name=op.f('fk_process_draft_model_id_process_model')),
    sa.ForeignKeyConstraint(['published_version_id'], ['process_version.id'], name=op.f('fk_process_draft_published_version_id_process_version')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_process_draft_submitted_by_id_user_account')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_process_draft_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_draft'))
    )
    with op.batch_alter_table('process_draft', schema=None) as batch_op:
        batch_op.create_index('ix_process_draft_model_status', ['model_id', 'status'], unique=False)

    op.create_table('training_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], name=op.f('fk_training_invitation_training_id_training')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_training_invitation_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_invitation')),
    sa.UniqueConstraint('training_id', 'user_id', name='uq_invitation_training_user')
    )
    with op.batch_alter_table('training_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_invitation_training_id'), ['training_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_invitation_user_id'), ['user_id'], unique=False)

    op.create_table('case_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_case_message_author_id_user_account')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_case_message_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_message'))
    )
    with op.batch_alter_table('case_message', schema=None) as batch_op:
        batch_op.create_index('ix_case_message_instance_created', ['instance_id', 'created_at'], unique=False)

    op.create_table('contact_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('datum', sa.Date(), nullable=False),
    sa.Column('art', sa.String(length=20), nullable=False),
    sa.Column('taetigkeit', sa.String(length=30), nullable=False),
    sa.Column('dauer_minuten', sa.Integer(), nullable=False),
    sa.Column('veranstaltungsart', sa.String(length=40), nullable=True),
    sa.Column('teilnehmende', sa.Integer(), nullable=True),
    sa.Column('nachverfolgung', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_contact_record_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_contact_record_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_contact_record_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_record'))
    )
    with op.batch_alter_table('contact_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_record_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_contact_team_datum', ['team_id', 'datum'], unique=False)

    op.create_table('expense_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('datum', sa.Date(), nullable=False),
    sa.Column('stunden', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('kilometer', sa.Numeric(precision=7, scale=1), nullable=False),
    sa.Column('auslagen', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('notiz', sa.String(length=500), nullable=False),
    sa.Column('summe', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('kommentar', sa.String(length=1000), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_expense_entry_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_expense_entry_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['user_account.id'], name=op.f('fk_expense_entry_volunteer_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expense_entry'))
    )
    with op.batch_alter_table('expense_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expense_entry_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_expense_status_datum', ['status', 'datum'], unique=False)
        batch_op.create_index('ix_expense_volunteer_datum', ['volunteer_id', 'datum'], unique=False)

    op.create_table('mbe_case_stat',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('altersgruppe', sa.String(length=20), nullable=False),
    sa.Column('geschlecht', sa.String(length=40), nullable=False),
    sa.Column('herkunftsland', sa.String(length=80), nullable=False),
    sa.Column('aufenthaltsstatus', sa.String(length=80), nullable=False),
    sa.Column('art', sa.String(length=30), nullable=False),
    sa.Column('abschlussgrund', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_mbe_case_stat_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_mbe_case_stat_team_id_team')),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_mbe_case_stat'))
    )
    with op.batch_alter_table('mbe_case_stat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mbe_case_stat_team_id'), ['team_id'], unique=False)

    op.create_table('mbe_stat_fact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=False),
    sa.Column('value', sa.String(length=80), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_mbe_stat_fact_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_mbe_stat_fact_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mbe_stat_fact'))
    )
    with op.batch_alter_table('mbe_stat_fact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mbe_stat_fact_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_mbe_stat_fact_team_kind_day', ['team_id', 'kind', 'day'], unique=False)

    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('anlass', sa.String(length=1000), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_referral_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_referral_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_referral_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_partner_id'), ['partner_id'], unique=False)

    op.create_table('contact_topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact_record.id'], name=op.f('fk_contact_topic_contact_id_contact_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_topic'))
    )
    with op.batch_alter_table('contact_topic', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_topic_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_contact_topic_topic', ['topic', 'contact_id'], unique=False)

    with op.batch_alter_table('case_participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leads_only', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('responsible_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('client_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_instance_team_started', ['owner_team_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_responsible_id'), ['responsible_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_process_instance_responsible_id_user_account'), 'user_account', ['responsible_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_process_instance_client_id_mbe_client'), 'mbe_client', ['client_id'], ['id'])

    with op.batch_alter_table('process_model', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_instance_status', ['instance_id', 'status'], unique=False)
        batch_op.create_index('ix_task_status_bpmn', ['status', 'bpmn_id', 'instance_id', 'due_at'], unique=False)



def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_status_bpmn')
        batch_op.drop_index('ix_task_instance_status')

    with op.batch_alter_table('process_model', schema=None) as batch_op:
        batch_op.drop_column('confidential')

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_process_instance_client_id_mbe_client'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_process_instance_responsible_id_user_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_process_instance_responsible_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_client_id'))
        batch_op.drop_index('ix_instance_team_started')
        batch_op.drop_column('client_id')
        batch_op.drop_column('responsible_id')

    with op.batch_alter_table('case_participant', schema=None) as batch_op:
        batch_op.drop_column('leads_only')

    with op.batch_alter_table('contact_topic', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_topic_topic')
        batch_op.drop_index(batch_op.f('ix_contact_topic_contact_id'))

    op.drop_table('contact_topic')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_partner_id'))
        batch_op.drop_index(batch_op.f('ix_referral_instance_id'))

    op.drop_table('referral')
    with op.batch_alter_table('mbe_stat_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_mbe_stat_fact_team_kind_day')
        batch_op.drop_index(batch_op.f('ix_mbe_stat_fact_instance_id'))

    op.drop_table('mbe_stat_fact')
    with op.batch_alter_table('mbe_case_stat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mbe_case_stat_team_id'))

    op.drop_table('mbe_case_stat')
    with op.batch_alter_table('expense_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_expense_volunteer_datum')
        batch_op.drop_index('ix_expense_status_datum')
        batch_op.drop_index(batch_op.f('ix_expense_entry_instance_id'))

    op.drop_table('expense_entry')
    with op.batch_alter_table('contact_record', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_team_datum')
        batch_op.drop_index(batch_op.f('ix_contact_record_instance_id'))

    op.drop_table('contact_record')
    with op.batch_alter_table('case_message', schema=None) as batch_op:
        batch_op.drop_index('ix_case_message_instance_created')

    op.drop_table('case_message')
    with op.batch_alter_table('training_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_invitation_user_id'))
        batch_op.drop_index(batch_op.f('ix_training_invitation_training_id'))

    op.drop_table('training_invitation')
    with op.batch_alter_table('process_draft', schema=None) as batch_op:
        batch_op.drop_index('ix_process_draft_model_status')

    op.drop_table('process_draft')
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_datum'))

    op.drop_table('training')
    with op.batch_alter_table('partner_year', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_year_org_jahr')

    op.drop_table('partner_year')
    with op.batch_alter_table('partner_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_contact_partner_id'))

    op.drop_table('partner_contact')
    with op.batch_alter_table('mbe_client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mbe_client_team_id'))
        batch_op.drop_index('ix_mbe_client_org_vorname')
        batch_op.drop_index('ix_mbe_client_org_nachname')
        batch_op.drop_index('ix_mbe_client_org_dob')

    op.drop_table('mbe_client')
    with op.batch_alter_table('decision_table', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_table_decision_id'))

    op.drop_table('decision_table')
    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_org_name')

    op.drop_table('partner')
