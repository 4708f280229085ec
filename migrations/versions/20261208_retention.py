"""retention: period per process model, legal holds, erasure runs

Revision ID: 8d4e1b7c2a35
Revises: 3a7e5c1d9f20
Create Date: 2026-12-08 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d4e1b7c2a35'
down_revision = '3a7e5c1d9f20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_model', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), nullable=True))
    op.create_table(
        'legal_hold',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('released_by_id', sa.Integer(), nullable=True),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name='fk_legal_hold_instance_id_process_instance'),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name='fk_legal_hold_created_by_id_user_account'),
        sa.ForeignKeyConstraint(['released_by_id'], ['user_account.id'],
                                name='fk_legal_hold_released_by_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_legal_hold'),
    )
    op.create_index('ix_legal_hold_active', 'legal_hold', ['instance_id'], unique=True,
                    sqlite_where=sa.text('released_at IS NULL'), postgresql_where=sa.text('released_at IS NULL'))
    op.create_index('ix_legal_hold_instance_id', 'legal_hold', ['instance_id', 'created_at'], unique=False)
    op.create_table(
        'retention_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=True),
        sa.Column('via', sa.String(length=20), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('erased', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_retention_run'),
        sa.UniqueConstraint('day', name='uq_retention_run_day'),
    )


def downgrade():
    op.drop_table('retention_run')
    op.drop_index('ix_legal_hold_instance_id', table_name='legal_hold')
    op.drop_index('ix_legal_hold_active', table_name='legal_hold')
    op.drop_table('legal_hold')
    with op.batch_alter_table('process_model', schema=None) as batch_op:
        batch_op.drop_column('retention_months')
