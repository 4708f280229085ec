"""living plan: the goals of a case as rows (plan_goal) and every change of them (plan_change)

Revision ID: b7e2c4d9a1f3
Revises: d0c5a11e7f13
Create Date: 2026-12-05 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2c4d9a1f3'
down_revision = 'd0c5a11e7f13'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'plan_goal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('frist', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=30), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name='fk_plan_goal_instance_id_process_instance'),
        sa.PrimaryKeyConstraint('id', name='pk_plan_goal'),
    )
    op.create_index('ix_plan_goal_instance_position', 'plan_goal', ['instance_id', 'position'], unique=False)
    op.create_table(
        'plan_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('goal_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name='fk_plan_change_actor_id_user_account'),
        sa.ForeignKeyConstraint(['goal_id'], ['plan_goal.id'], name='fk_plan_change_goal_id_plan_goal'),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name='fk_plan_change_instance_id_process_instance'),
        sa.PrimaryKeyConstraint('id', name='pk_plan_change'),
    )
    op.create_index('ix_plan_change_instance_version', 'plan_change', ['instance_id', 'version'], unique=False)


def downgrade():
    op.drop_index('ix_plan_change_instance_version', table_name='plan_change')
    op.drop_table('plan_change')
    op.drop_index('ix_plan_goal_instance_position', table_name='plan_goal')
    op.drop_table('plan_goal')
