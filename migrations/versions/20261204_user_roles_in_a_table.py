"""user roles in a table: user_role rows instead of the comma string user_account.roles_csv

Revision ID: 7a3c91d04e52
Revises: c4e1a9d2f7b3
Create Date: 2026-12-04 17:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3c91d04e52'
down_revision = 'c4e1a9d2f7b3'
branch_labels = None
depends_on = None

user_account = sa.table('user_account', sa.column('id', sa.Integer), sa.column('roles_csv', sa.String))
user_role = sa.table('user_role', sa.column('user_id', sa.Integer), sa.column('role', sa.String))


def upgrade():
    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role')
    )
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.create_index('ix_user_role_role_user', ['role', 'user_id'], unique=False)

    connection = op.get_bind()
    rows = [{'user_id': user_id, 'role': role}
            for user_id, csv in connection.execute(sa.select(user_account.c.id, user_account.c.roles_csv))
            for role in sorted({r.strip() for r in (csv or '').split(',') if r.strip()})]
    if rows:
        op.bulk_insert(user_role, rows)

    # ALTER TABLE … DROP COLUMN also on SQLite (3.35+): recreating user_account there would run
    # with foreign keys on and delete the rows of every ON DELETE CASCADE child (user_role, …).
    with op.batch_alter_table('user_account', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('roles_csv')


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roles_csv', sa.String(length=200), nullable=False, server_default=''))

    connection = op.get_bind()
    roles: dict[int, list[str]] = {}
    for user_id, role in connection.execute(
            sa.select(user_role.c.user_id, user_role.c.role).order_by(user_role.c.user_id, user_role.c.role)):
        roles.setdefault(user_id, []).append(role)
    for user_id, names in roles.items():
        connection.execute(user_account.update().where(user_account.c.id == user_id)
                           .values(roles_csv=','.join(names)))

    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.drop_index('ix_user_role_role_user')

    op.drop_table('user_role')
