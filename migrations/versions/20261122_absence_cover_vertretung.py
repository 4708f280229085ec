"""absence cover (Vertretung)

Revision ID: 554081ddd277
Revises: e13712d2396b
Create Date: 2026-11-22 20:51:57.740331

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '554081ddd277'
down_revision = 'e13712d2396b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('absence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('substitute_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('ended_early_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_absence_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['substitute_id'], ['user_account.id'], name=op.f('fk_absence_substitute_id_user_account')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_absence_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_absence'))
    )
    with op.batch_alter_table('absence', schema=None) as batch_op:
        batch_op.create_index('ix_absence_substitute_dates', ['substitute_id', 'starts_on', 'ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_absence_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('absence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absence_user_id'))
        batch_op.drop_index('ix_absence_substitute_dates')

    op.drop_table('absence')
