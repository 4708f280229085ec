"""access log: an append-only table of every read of social data (issue 14, item 1)

Revision ID: 3a7e5c1d9f20
Revises: 7c3d2f1a9b64
Create Date: 2026-12-07 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

# The SQL as of this revision (app/accesslog/models.py creates the same for create_all).
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only';
END;
$$ LANGUAGE plpgsql"""
PG_TRIGGER = ("CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log "
              "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()")
SQLITE_TRIGGERS = (
    "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
    "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
)

# revision identifiers, used by Alembic.
revision = '3a7e5c1d9f20'
down_revision = '7c3d2f1a9b64'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'access_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('role', sa.String(length=120), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('object_type', sa.String(length=30), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=True),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('client_id', sa.Integer(), nullable=True),
        sa.Column('via', sa.String(length=200), nullable=False),
        sa.Column('substitution', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_access_log'),
    )
    op.create_index('ix_access_log_case_at', 'access_log', ['case_id', 'at'], unique=False)
    op.create_index('ix_access_log_client_at', 'access_log', ['client_id', 'at'], unique=False)
    op.create_index('ix_access_log_user_at', 'access_log', ['user_id', 'at'], unique=False)
    op.create_index('ix_access_log_at', 'access_log', ['at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS access_log_append_only ON access_log')
        op.execute('DROP FUNCTION IF EXISTS access_log_append_only()')
    else:
        op.execute('DROP TRIGGER IF EXISTS access_log_no_update')
        op.execute('DROP TRIGGER IF EXISTS access_log_no_delete')
    op.drop_index('ix_access_log_at', table_name='access_log')
    op.drop_index('ix_access_log_user_at', table_name='access_log')
    op.drop_index('ix_access_log_client_at', table_name='access_log')
    op.drop_index('ix_access_log_case_at', table_name='access_log')
    op.drop_table('access_log')
