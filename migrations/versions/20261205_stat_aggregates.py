"""statistics at scale: daily aggregate rows of step durations; covering instance indexes; inbox order indexes

Revision ID: 4e7a1c9d2b58
Revises: 9c4d2e6f1a30
Create Date: 2026-12-05 00:00:00.000000

After the upgrade, run ``flask statistics rebuild`` once to fill stat_task_day from the
completed tasks (until then the statistics compute the durations exactly from the task rows).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4e7a1c9d2b58'
down_revision = '9c4d2e6f1a30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stat_task_day',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('bpmn_id', sa.String(length=120), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('shard', sa.SmallInteger(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('completed', sa.Integer(), nullable=False),
        sa.Column('sum_seconds', sa.Float(), nullable=False),
        sa.Column('min_seconds', sa.Float(), nullable=False),
        sa.Column('max_seconds', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['model_id'], ['process_model.id'], name='fk_stat_task_day_model_id_process_model'),
        sa.ForeignKeyConstraint(['team_id'], ['team.id'], name='fk_stat_task_day_team_id_team'),
        sa.PrimaryKeyConstraint('id', name='pk_stat_task_day'),
        sa.UniqueConstraint('day', 'team_id', 'model_id', 'bpmn_id', 'bucket', 'shard', name='uq_stat_task_day_day'),
    )
    op.create_index('ix_stat_task_day_team_day', 'stat_task_day', ['team_id', 'day'], unique=False)
    op.drop_index('ix_instance_team_started_version', table_name='process_instance')
    op.create_index('ix_instance_team_started_version', 'process_instance',
                    ['owner_team_id', 'started_at', 'version_id', 'outcome'], unique=False)
    op.drop_index('ix_instance_team_version', table_name='process_instance')
    op.create_index('ix_instance_team_version', 'process_instance',
                    ['owner_team_id', 'version_id', 'outcome', 'id'], unique=False)
    op.drop_index('ix_task_inbox', table_name='task')
    op.create_index('ix_task_inbox', 'task',
                    ['candidate_team_id', 'for_leads', 'status', 'crisis', 'due_at', 'id', 'assignee_id'], unique=False)
    op.drop_index('ix_task_mine', table_name='task')
    op.create_index('ix_task_mine', 'task', ['assignee_id', 'status', 'crisis', 'due_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_task_mine', table_name='task')
    op.create_index('ix_task_mine', 'task', ['assignee_id', 'status', 'crisis', 'due_at'], unique=False)
    op.drop_index('ix_task_inbox', table_name='task')
    op.create_index('ix_task_inbox', 'task',
                    ['candidate_team_id', 'assignee_id', 'status', 'for_leads', 'crisis', 'due_at'], unique=False)
    op.drop_index('ix_instance_team_version', table_name='process_instance')
    op.create_index('ix_instance_team_version', 'process_instance', ['owner_team_id', 'version_id'], unique=False)
    op.drop_index('ix_instance_team_started_version', table_name='process_instance')
    op.create_index('ix_instance_team_started_version', 'process_instance',
                    ['owner_team_id', 'started_at', 'version_id'], unique=False)
    op.drop_index('ix_stat_task_day_team_day', table_name='stat_task_day')
    op.drop_table('stat_task_day')
