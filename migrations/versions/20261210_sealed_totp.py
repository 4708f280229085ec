"""Second factor: the TOTP seeds sealed at rest (room for the Fernet token)

Revision ID: 7d2e9b4c1a68
Revises: 6a1f3c8e2d57

Seeds stored before stay readable as they are and are sealed at their next use, or at once with
``flask users reseal-secrets``. The downgrade opens sealed seeds again (the old code reads them
only in plain), with the keys of the running configuration.
"""

from alembic import op
import sqlalchemy as sa

revision = '7d2e9b4c1a68'
down_revision = '6a1f3c8e2d57'
branch_labels = None
depends_on = None

COLUMNS = ('totp_secret', 'totp_pending')


def upgrade():
    with op.batch_alter_table('user_account') as batch:
        for column in COLUMNS:
            batch.alter_column(column, existing_type=sa.String(length=64), type_=sa.String(length=255),
                               existing_nullable=True)


def downgrade():
    bind = op.get_bind()
    users = sa.table('user_account', sa.column('id', sa.Integer()), *(sa.column(c, sa.String()) for c in COLUMNS))
    rows = bind.execute(sa.select(users).where(sa.or_(*(users.c[c].like('f1:%') for c in COLUMNS)))).all()
    if rows:
        from app.auth import secretbox  # needs the app's keys (flask db downgrade runs in the app)

        for row in rows:
            values = {c: secretbox.unseal(getattr(row, c)) for c in COLUMNS}
            bind.execute(users.update().where(users.c.id == row.id).values(**values))
    with op.batch_alter_table('user_account') as batch:
        for column in COLUMNS:
            batch.alter_column(column, existing_type=sa.String(length=255), type_=sa.String(length=64),
                               existing_nullable=True)
