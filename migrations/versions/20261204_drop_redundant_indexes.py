"""drop redundant indexes: single-column indexes whose column already leads a unique constraint or
a wider index

Revision ID: d2f6a8c1e904
Revises: b58e2f1c93a7
Create Date: 2026-12-04 18:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd2f6a8c1e904'
down_revision = 'b58e2f1c93a7'
branch_labels = None
depends_on = None

# index name, table, columns — and what serves the same lookups afterwards
REDUNDANT = [
    ('ix_membership_user_id', 'membership', ['user_id']),  # uq_membership_user_team
    ('ix_process_version_model_id', 'process_version', ['model_id']),  # uq_version_model_number
    ('ix_process_instance_owner_team_id', 'process_instance', ['owner_team_id']),  # ix_instance_team_version
    ('ix_process_instance_status', 'process_instance', ['status']),  # ix_instance_closed
    ('ix_process_instance_version_id', 'process_instance', ['version_id']),  # ix_instance_version_team
    ('ix_task_assignee_status', 'task', ['assignee_id', 'status']),  # ix_task_mine
    ('ix_task_instance_id', 'task', ['instance_id']),  # ix_task_instance_status
    ('ix_decision_table_decision_id', 'decision_table', ['decision_id']),  # uq_decision_table_number
    ('ix_training_invitation_training_id', 'training_invitation', ['training_id']),  # uq_invitation_training_user
]


def upgrade():
    for name, table, _columns in REDUNDANT:
        op.drop_index(name, table_name=table)


def downgrade():
    for name, table, columns in reversed(REDUNDANT):
        op.create_index(name, table, columns, unique=False)
