"""Worker heartbeat: the timer worker's last round, read by /readyz

Revision ID: 3f8a1c7e5b42
Revises: 4b7e2a91c5d3
"""

from alembic import op
import sqlalchemy as sa

revision = '3f8a1c7e5b42'
down_revision = '4b7e2a91c5d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'worker_heartbeat',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_worker_heartbeat'),
        sa.UniqueConstraint('name', 'host', name='uq_worker_heartbeat_name_host'),
    )


def downgrade():
    op.drop_table('worker_heartbeat')
