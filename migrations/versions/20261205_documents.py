"""documents: files on cases and volunteers' profiles (stored outside the rows, hash checked)

Revision ID: d0c5a11e7f13
Revises: 5e4a2c9b7f10
Create Date: 2026-12-05 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd0c5a11e7f13'
down_revision = '5e4a2c9b7f10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('volunteer_id', sa.Integer(), nullable=True),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('storage_key', sa.String(length=64), nullable=False),
        sa.Column('note', sa.String(length=1000), nullable=False),
        sa.Column('shared_with_volunteer', sa.Boolean(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_by_id', sa.Integer(), nullable=True),
        sa.Column('delete_reason', sa.String(length=500), nullable=False),
        sa.CheckConstraint('(instance_id IS NULL) <> (volunteer_id IS NULL)', name=op.f('ck_document_one_subject')),
        sa.ForeignKeyConstraint(['deleted_by_id'], ['user_account.id'],
                                name=op.f('fk_document_deleted_by_id_user_account')),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_document_instance_id_process_instance')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'],
                                name=op.f('fk_document_uploaded_by_id_user_account')),
        sa.ForeignKeyConstraint(['volunteer_id'], ['user_account.id'],
                                name=op.f('fk_document_volunteer_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_document_storage_key')),
    )
    op.create_index('ix_document_instance_id', 'document', ['instance_id'], unique=False)
    op.create_index('ix_document_volunteer_id', 'document', ['volunteer_id'], unique=False)


def downgrade():
    op.drop_index('ix_document_volunteer_id', table_name='document')
    op.drop_index('ix_document_instance_id', table_name='document')
    op.drop_table('document')
