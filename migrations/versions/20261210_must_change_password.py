"""Must change password: an admin-set password is replaced by the user's own at the next login

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


def downgrade():
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('must_change_password')
