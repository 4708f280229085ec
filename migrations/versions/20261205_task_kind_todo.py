"""task kind: to-dos (journal follow-ups, form signals) are task rows beside the workflow

Revision ID: a13c0f7d2b01
Revises: e7c3b5a19f42
Create Date: 2026-12-05 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a13c0f7d2b01'
down_revision = 'e7c3b5a19f42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='bpmn', nullable=False))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_task_created_by_id_user_account', 'user_account', ['created_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint('fk_task_created_by_id_user_account', type_='foreignkey')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('kind')
