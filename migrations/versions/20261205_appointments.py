"""appointments of cases, their participants, and each user's private calendar feed

Revision ID: b7e2c4a91d05
Revises: b7e2c4d9a1f3
Create Date: 2026-12-05 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2c4a91d05'
down_revision = 'b7e2c4d9a1f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'appointment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('language', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
        sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['cancelled_by_id'], ['user_account.id'],
                                name='fk_appointment_cancelled_by_id_user_account'),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name='fk_appointment_created_by_id_user_account'),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name='fk_appointment_instance_id_process_instance'),
        sa.PrimaryKeyConstraint('id', name='pk_appointment'),
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index('ix_appointment_instance_starts', ['instance_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_appointment_status_starts', ['status', 'starts_at', 'reminder_sent_at'],
                              unique=False)

    op.create_table(
        'appointment_participant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'],
                                name='fk_appointment_participant_appointment_id_appointment'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name='fk_appointment_participant_user_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_appointment_participant'),
        sa.UniqueConstraint('appointment_id', 'user_id', name='uq_appointment_participant_appointment_id'),
    )
    with op.batch_alter_table('appointment_participant', schema=None) as batch_op:
        batch_op.create_index('ix_appointment_participant_user', ['user_id', 'appointment_id'], unique=False)

    op.create_table(
        'calendar_feed',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('show_names', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name='fk_calendar_feed_user_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_calendar_feed'),
        sa.UniqueConstraint('token_hash', name='uq_calendar_feed_token_hash'),
        sa.UniqueConstraint('user_id', name='uq_calendar_feed_user_id'),
    )


def downgrade():
    op.drop_table('calendar_feed')
    with op.batch_alter_table('appointment_participant', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_participant_user')
    op.drop_table('appointment_participant')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_status_starts')
        batch_op.drop_index('ix_appointment_instance_starts')
    op.drop_table('appointment')
