"""time records (work outside cases) and the training date an attendance replaced

Revision ID: 5e2b9c7d4a10
Revises: b7e2c4a91d05
Create Date: 2026-12-05 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e2b9c7d4a10'
down_revision = 'b7e2c4a91d05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'time_record',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('datum', sa.Date(), nullable=False),
        sa.Column('activity', sa.String(length=40), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['team.id'], name='fk_time_record_team_id_team'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name='fk_time_record_user_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_time_record'),
    )
    op.create_index('ix_time_record_team_datum', 'time_record', ['team_id', 'datum'], unique=False)
    op.create_index('ix_time_record_user_datum', 'time_record', ['user_id', 'datum'], unique=False)
    with op.batch_alter_table('training_invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaced_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('training_invitation', schema=None) as batch_op:
        batch_op.drop_column('replaced_on')
    op.drop_index('ix_time_record_user_datum', table_name='time_record')
    op.drop_index('ix_time_record_team_datum', table_name='time_record')
    op.drop_table('time_record')
