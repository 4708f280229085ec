"""four_eyes: four-eyes publishing per process model; approval history of drafts

Revision ID: 7a1c4e9b2d35
Revises: 7d3e1a9c5b20
Create Date: 2026-12-05 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a1c4e9b2d35'
down_revision = '7d3e1a9c5b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_model') as batch:
        batch.add_column(sa.Column('four_eyes', sa.Boolean(), nullable=True))
    op.create_table(
        'process_model_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(['model_id'], ['process_model.id'],
                                name='fk_process_model_event_model_id_process_model'),
        sa.ForeignKeyConstraint(['draft_id'], ['process_draft.id'],
                                name='fk_process_model_event_draft_id_process_draft'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name='fk_process_model_event_user_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_process_model_event'),
    )
    op.create_index('ix_process_model_event_model', 'process_model_event', ['model_id', 'id'], unique=False)
    op.create_index('ix_process_model_event_draft', 'process_model_event', ['draft_id'], unique=False)


def downgrade():
    op.drop_index('ix_process_model_event_draft', table_name='process_model_event')
    op.drop_index('ix_process_model_event_model', table_name='process_model_event')
    op.drop_table('process_model_event')
    with op.batch_alter_table('process_model') as batch:
        batch.drop_column('four_eyes')
