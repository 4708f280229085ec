"""Audit trail of the directory group mapping

Revision ID: 3b7e9d1c5a42
Revises: 4e7a1c9d2b58
"""

from alembic import op
import sqlalchemy as sa

revision = '3b7e9d1c5a42'
down_revision = '4e7a1c9d2b58'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'group_mapping_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('entry', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name='fk_group_mapping_event_user_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_group_mapping_event'),
    )
    op.create_index('ix_group_mapping_event_at', 'group_mapping_event', ['at'])
    op.create_index('ix_group_mapping_event_user_id', 'group_mapping_event', ['user_id'])


def downgrade():
    op.drop_index('ix_group_mapping_event_user_id', table_name='group_mapping_event')
    op.drop_index('ix_group_mapping_event_at', table_name='group_mapping_event')
    op.drop_table('group_mapping_event')
