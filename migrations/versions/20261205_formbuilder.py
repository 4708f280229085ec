"""formbuilder: builder form definitions, their immutable versions, pins to process versions

Revision ID: 7f1b3c5d9e20
Revises: 5c2f8a9d1e47
Create Date: 2026-12-05 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7f1b3c5d9e20'
down_revision = '5c2f8a9d1e47'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'form_definition',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name='fk_form_definition_created_by_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_form_definition'),
        sa.UniqueConstraint('key', name='uq_form_definition_key'),
    )
    op.create_table(
        'form_definition_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('form_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('definition', sa.JSON(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['form_id'], ['form_definition.id'],
                                name='fk_form_definition_version_form_id_form_definition'),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name='fk_form_definition_version_created_by_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_form_definition_version'),
        sa.UniqueConstraint('form_id', 'number', name='uq_form_definition_version_number'),
    )
    op.create_table(
        'process_version_form',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('process_version_id', sa.Integer(), nullable=False),
        sa.Column('form_key', sa.String(length=100), nullable=False),
        sa.Column('form_version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['process_version_id'], ['process_version.id'],
                                name='fk_process_version_form_process_version_id_process_version'),
        sa.ForeignKeyConstraint(['form_version_id'], ['form_definition_version.id'],
                                name='fk_process_version_form_form_version_id_form_definition_version'),
        sa.PrimaryKeyConstraint('id', name='pk_process_version_form'),
        sa.UniqueConstraint('process_version_id', 'form_key', name='uq_process_version_form_key'),
    )
    op.create_index('ix_process_version_form_form_version_id', 'process_version_form', ['form_version_id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_process_version_form_form_version_id', table_name='process_version_form')
    op.drop_table('process_version_form')
    op.drop_table('form_definition_version')
    op.drop_table('form_definition')
