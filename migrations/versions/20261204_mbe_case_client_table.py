"""mbe case client table: the client of an MBE case moves from process_instance.client_id into
mbe_case_client, owned by app/mbe

Revision ID: e7c3b5a19f42
Revises: d2f6a8c1e904
Create Date: 2026-12-04 19:10:00.000000

On SQLite, dropping the column rebuilds process_instance (an FK on the column blocks a plain
DROP COLUMN); migrations/env.py turns foreign keys off around the migration so that the rebuild
neither deletes nor refuses the rows that reference process_instance (task, case_event, …).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7c3b5a19f42'
down_revision = 'd2f6a8c1e904'
branch_labels = None
depends_on = None

process_instance = sa.table('process_instance', sa.column('id', sa.Integer), sa.column('client_id', sa.Integer))
mbe_case_client = sa.table('mbe_case_client', sa.column('instance_id', sa.Integer),
                           sa.column('client_id', sa.Integer))


def upgrade():
    op.create_table('mbe_case_client',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['mbe_client.id'], name=op.f('fk_mbe_case_client_client_id_mbe_client')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                            name=op.f('fk_mbe_case_client_instance_id_process_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_mbe_case_client'))
    )
    with op.batch_alter_table('mbe_case_client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mbe_case_client_client_id'), ['client_id'], unique=False)

    op.execute(mbe_case_client.insert().from_select(
        ['instance_id', 'client_id'],
        sa.select(process_instance.c.id, process_instance.c.client_id)
        .where(process_instance.c.client_id.is_not(None))))

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_constraint('fk_process_instance_client_id_mbe_client', type_='foreignkey')
        batch_op.drop_index('ix_process_instance_client_id')
        batch_op.drop_column('client_id')


def downgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_process_instance_client_id', ['client_id'], unique=False)
        batch_op.create_foreign_key('fk_process_instance_client_id_mbe_client', 'mbe_client', ['client_id'], ['id'])

    op.execute(process_instance.update()
               .where(process_instance.c.id.in_(sa.select(mbe_case_client.c.instance_id)))
               .values(client_id=sa.select(mbe_case_client.c.client_id)
                       .where(mbe_case_client.c.instance_id == process_instance.c.id)
                       .scalar_subquery()))

    with op.batch_alter_table('mbe_case_client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mbe_case_client_client_id'))

    op.drop_table('mbe_case_client')
