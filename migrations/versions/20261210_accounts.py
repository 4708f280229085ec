"""Accounts: must change an admin-set password; the ID token of an OpenID Connect login for the
provider logout

Revision ID: 6a1f3c8e2d57
Revises: 3f8a1c7e5b42
"""

from alembic import op
import sqlalchemy as sa

revision = '6a1f3c8e2d57'
down_revision = '3f8a1c7e5b42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'oidc_login',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('id_token', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name='fk_oidc_login_user_id_user_account',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_oidc_login'),
        sa.UniqueConstraint('key', name='uq_oidc_login_key'),
    )
    op.create_index('ix_oidc_login_user_id', 'oidc_login', ['user_id'])
    op.create_index('ix_oidc_login_created_at', 'oidc_login', ['created_at'])


def downgrade():
    op.drop_index('ix_oidc_login_created_at', table_name='oidc_login')
    op.drop_index('ix_oidc_login_user_id', table_name='oidc_login')
    op.drop_table('oidc_login')
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('must_change_password')
