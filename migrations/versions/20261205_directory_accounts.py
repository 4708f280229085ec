"""Directory accounts: source, external id, last login, who deactivated; group mapping table

Revision ID: 9c4d2e6f1a30
Revises: 7d3e1f5a9b20
"""

from alembic import op
import sqlalchemy as sa

revision = '9c4d2e6f1a30'
down_revision = '7d3e1f5a9b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('auth_source', sa.String(length=20), server_default='local', nullable=False))
        batch.add_column(sa.Column('external_id', sa.String(length=300), nullable=True))
        batch.add_column(sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('deactivated_by', sa.String(length=20), nullable=True))
    op.create_table(
        'group_mapping',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('group_name', sa.String(length=300), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=True),
        sa.Column('role', sa.String(length=20), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name='fk_group_mapping_created_by_id_user_account'),
        sa.ForeignKeyConstraint(['team_id'], ['team.id'], name='fk_group_mapping_team_id_team', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_group_mapping'),
        sa.UniqueConstraint('source', 'group_name', 'team_id', 'kind', 'role', name='uq_group_mapping_entry'),
    )
    op.create_index('ix_group_mapping_team_id', 'group_mapping', ['team_id'])


def downgrade():
    op.drop_index('ix_group_mapping_team_id', table_name='group_mapping')
    op.drop_table('group_mapping')
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('deactivated_by')
        batch.drop_column('last_login_at')
        batch.drop_column('external_id')
        batch.drop_column('auth_source')
