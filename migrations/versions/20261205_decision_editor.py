"""decision editor: drafts of decision tables and the editor's source (constants, test cases) per version

Revision ID: 7d3e1a9c5b20
Revises: 7f1b3c5d9e20
Create Date: 2026-12-05 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d3e1a9c5b20'
down_revision = '7f1b3c5d9e20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('decision_table', schema=None) as batch_op:
        batch_op.add_column(sa.Column('editor_json', sa.Text(), nullable=True))
    op.create_table(
        'decision_draft',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('decision_id', sa.String(length=120), nullable=False),
        sa.Column('base_number', sa.Integer(), nullable=False),
        sa.Column('model_json', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('comment', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=1000), nullable=False),
        sa.Column('published_number', sa.Integer(), nullable=True),
        sa.Column('editor_ids', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name='fk_decision_draft_created_by_id_user_account'),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'],
                                name='fk_decision_draft_submitted_by_id_user_account'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'],
                                name='fk_decision_draft_decided_by_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_decision_draft'),
    )
    op.create_index('ix_decision_draft_decision_id', 'decision_draft', ['decision_id'], unique=False)


def downgrade():
    op.drop_index('ix_decision_draft_decision_id', table_name='decision_draft')
    op.drop_table('decision_draft')
    with op.batch_alter_table('decision_table', schema=None) as batch_op:
        batch_op.drop_column('editor_json')
