"""Indexes for monitor, statistics and inbox; cancelled trainings

Revision ID: bf9a62ba6247
Revises: 5b5b33bf46ec
Create Date: 2026-11-23 00:18:25.340940

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bf9a62ba6247'
down_revision = '5b5b33bf46ec'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index('ix_event_kind_created', ['kind', 'created_at', 'instance_id'], unique=False)

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instance_team_started'))
        batch_op.create_index('ix_instance_closed', ['status', 'ended_at', 'owner_team_id', 'version_id', 'outcome'], unique=False)
        batch_op.create_index('ix_instance_team_started_version', ['owner_team_id', 'started_at', 'version_id'], unique=False)
        batch_op.create_index('ix_instance_team_version', ['owner_team_id', 'version_id'], unique=False)
        batch_op.create_index('ix_instance_version_team', ['version_id', 'owner_team_id'], unique=False)

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_status_bpmn'))
        batch_op.create_index('ix_task_bpmn_created', ['bpmn_id', 'created_at', 'instance_id', 'status', 'completed_at'], unique=False)
        batch_op.create_index('ix_task_crisis_status', ['crisis', 'status', 'instance_id'], unique=False)
        batch_op.create_index('ix_task_done', ['status', 'completed_at', 'bpmn_id', 'instance_id', 'created_at', 'title'], unique=False)
        batch_op.create_index('ix_task_inbox', ['candidate_team_id', 'assignee_id', 'status', 'for_leads', 'crisis', 'due_at'], unique=False)
        batch_op.create_index('ix_task_mine', ['assignee_id', 'status', 'crisis', 'due_at'], unique=False)
        batch_op.create_index('ix_task_status_bpmn_title', ['status', 'bpmn_id', 'instance_id', 'due_at', 'title'], unique=False)

    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.add_column(sa.Column('abgesagt_am', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('absage_grund', sa.String(length=500), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.drop_column('absage_grund')
        batch_op.drop_column('abgesagt_am')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_status_bpmn_title')
        batch_op.drop_index('ix_task_mine')
        batch_op.drop_index('ix_task_inbox')
        batch_op.drop_index('ix_task_done')
        batch_op.drop_index('ix_task_crisis_status')
        batch_op.drop_index('ix_task_bpmn_created')
        batch_op.create_index(batch_op.f('ix_task_status_bpmn'), ['status', 'bpmn_id', 'instance_id', 'due_at'], unique=False)

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_instance_version_team')
        batch_op.drop_index('ix_instance_team_version')
        batch_op.drop_index('ix_instance_team_started_version')
        batch_op.drop_index('ix_instance_closed')
        batch_op.create_index(batch_op.f('ix_instance_team_started'), ['owner_team_id', 'started_at'], unique=False)

    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_kind_created')

