"""process_settings: lane rules and starter teams of a process model as data (process owners)

Revision ID: 7d3e1f5a9b20
Revises: 7a1c4e9b2d35
Create Date: 2026-12-05 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d3e1f5a9b20'
down_revision = '7a1c4e9b2d35'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'process_lane_rule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('lane', sa.String(length=120), nullable=False),
        sa.Column('rule', sa.String(length=40), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('field', sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(['model_id'], ['process_model.id'],
                                name='fk_process_lane_rule_model_id_process_model'),
        sa.ForeignKeyConstraint(['team_id'], ['team.id'], name='fk_process_lane_rule_team_id_team'),
        sa.PrimaryKeyConstraint('id', name='pk_process_lane_rule'),
        sa.UniqueConstraint('model_id', 'lane', name='uq_process_lane_rule_model_lane'),
    )
    op.create_index('ix_process_lane_rule_team', 'process_lane_rule', ['team_id'], unique=False)
    op.create_table(
        'process_starter_team',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['model_id'], ['process_model.id'],
                                name='fk_process_starter_team_model_id_process_model'),
        sa.ForeignKeyConstraint(['team_id'], ['team.id'], name='fk_process_starter_team_team_id_team'),
        sa.PrimaryKeyConstraint('id', name='pk_process_starter_team'),
        sa.UniqueConstraint('model_id', 'team_id', name='uq_process_starter_team_model_team'),
    )
    op.create_index('ix_process_starter_team_team', 'process_starter_team', ['team_id'], unique=False)


def downgrade():
    op.drop_index('ix_process_starter_team_team', table_name='process_starter_team')
    op.drop_table('process_starter_team')
    op.drop_index('ix_process_lane_rule_team', table_name='process_lane_rule')
    op.drop_table('process_lane_rule')
