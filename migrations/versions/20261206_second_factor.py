"""second factor (TOTP) of local accounts: secret columns, recovery codes, events

Revision ID: 7c3d2f1a9b64
Revises: 5e2b9c7d4a10
Create Date: 2026-12-06 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3d2f1a9b64'
down_revision = '5e2b9c7d4a10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_pending', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enrolled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name='fk_recovery_code_user_id_user_account',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_recovery_code'),
    )
    op.create_index('ix_recovery_code_user_id', 'recovery_code', ['user_id'], unique=False)
    op.create_table(
        'second_factor_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'],
                                name='fk_second_factor_event_actor_id_user_account', ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name='fk_second_factor_event_user_id_user_account', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_second_factor_event'),
    )
    op.create_index('ix_second_factor_event_user_id', 'second_factor_event', ['user_id'], unique=False)


def downgrade():
    op.drop_index('ix_second_factor_event_user_id', table_name='second_factor_event')
    op.drop_table('second_factor_event')
    op.drop_index('ix_recovery_code_user_id', table_name='recovery_code')
    op.drop_table('recovery_code')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enrolled_at')
        batch_op.drop_column('totp_pending')
        batch_op.drop_column('totp_secret')
