"""journal: entries of a case, their revisions (corrections keep the earlier text), topics

Revision ID: 5e1a7c3d9b24
Revises: a13c0f7d2b01
Create Date: 2026-12-05 20:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1a7c3d9b24'
down_revision = 'a13c0f7d2b01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('journal_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('next_steps', sa.Text(), nullable=False),
    sa.Column('shared_with_volunteer', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('follow_up_task_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name='fk_journal_entry_author_id_user_account'),
    sa.ForeignKeyConstraint(['follow_up_task_id'], ['task.id'], name='fk_journal_entry_follow_up_task_id_task'),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                            name='fk_journal_entry_instance_id_process_instance'),
    sa.PrimaryKeyConstraint('id', name='pk_journal_entry')
    )
    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.create_index('ix_journal_entry_author_id', ['author_id'], unique=False)
        batch_op.create_index('ix_journal_entry_day_kind', ['day', 'kind'], unique=False)
        batch_op.create_index('ix_journal_entry_instance_day', ['instance_id', 'day'], unique=False)

    op.create_table('journal_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('next_steps', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name='fk_journal_revision_author_id_user_account'),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entry.id'], name='fk_journal_revision_entry_id_journal_entry'),
    sa.PrimaryKeyConstraint('id', name='pk_journal_revision'),
    sa.UniqueConstraint('entry_id', 'number', name='uq_journal_revision_entry_id')
    )

    op.create_table('journal_topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entry.id'], name='fk_journal_topic_entry_id_journal_entry'),
    sa.PrimaryKeyConstraint('id', name='pk_journal_topic')
    )
    with op.batch_alter_table('journal_topic', schema=None) as batch_op:
        batch_op.create_index('ix_journal_topic_entry_id', ['entry_id'], unique=False)
        batch_op.create_index('ix_journal_topic_topic', ['topic', 'entry_id'], unique=False)


def downgrade():
    with op.batch_alter_table('journal_topic', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_topic_topic')
        batch_op.drop_index('ix_journal_topic_entry_id')
    op.drop_table('journal_topic')
    op.drop_table('journal_revision')
    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_entry_instance_day')
        batch_op.drop_index('ix_journal_entry_day_kind')
        batch_op.drop_index('ix_journal_entry_author_id')
    op.drop_table('journal_entry')
