"""User administration: the record of admins' changes to accounts

Revision ID: 4b7e2a91c5d3
Revises: 3b7e9d1c5a42
"""

from alembic import op
import sqlalchemy as sa

revision = '4b7e2a91c5d3'
down_revision = '3b7e9d1c5a42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_admin_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name='fk_user_admin_event_user_id_user_account', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'],
                                name='fk_user_admin_event_actor_id_user_account', ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name='pk_user_admin_event'),
    )
    op.create_index('ix_user_admin_event_user_at', 'user_admin_event', ['user_id', 'at'])


def downgrade():
    op.drop_index('ix_user_admin_event_user_at', table_name='user_admin_event')
    op.drop_table('user_admin_event')
