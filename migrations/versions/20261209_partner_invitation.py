"""partner_invitation: partners invited to junge_erwachsene cases with consented data categories

Revision ID: 5c2f8a9d1e47
Revises: 5b2f8e0c6a41
Create Date: 2026-12-09 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c2f8a9d1e47'
down_revision = '5b2f8e0c6a41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'partner_invitation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('partner_type', sa.String(length=40), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name='fk_partner_invitation_instance_id_process_instance'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name='fk_partner_invitation_user_id_user_account'),
        sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'],
                                name='fk_partner_invitation_invited_by_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_partner_invitation'),
        sa.UniqueConstraint('instance_id', 'user_id', name='uq_partner_invitation_instance_user'),
    )
    op.create_index('ix_partner_invitation_user', 'partner_invitation', ['user_id'], unique=False)


def downgrade():
    op.drop_index('ix_partner_invitation_user', table_name='partner_invitation')
    op.drop_table('partner_invitation')
