"""case search: process_instance.search_name (the title in search form), trigram index on PostgreSQL

Revision ID: 5e4a2c9b7f10
Revises: 5e1a7c3d9b24
Create Date: 2026-12-05 00:00:00.000000
"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e4a2c9b7f10'
down_revision = '5e1a7c3d9b24'
branch_labels = None
depends_on = None

_SPELT_UMLAUTS = re.compile(r"(?<=[aou])e")


def _normalise(text):
    """A frozen copy of app.mbe.clients.normalise at the time of this revision (migrations do not
    import the app: a later change of the function must not change what this revision did)."""
    text = (text or "").casefold().replace("ß", "ss")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _SPELT_UMLAUTS.sub("", text)
    return re.sub(r"[^\w]+", " ", text).strip()[:120]


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sa.String(length=200), server_default='', nullable=False))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, title FROM process_instance WHERE title <> ''")).fetchall()
    for row_id, title in rows:
        bind.execute(sa.text("UPDATE process_instance SET search_name = :name WHERE id = :id"),
                     {"name": _normalise(title), "id": row_id})
    if postgres:
        op.create_index('ix_instance_search_name', 'process_instance', ['search_name'], unique=False,
                        postgresql_using='gin', postgresql_ops={'search_name': 'gin_trgm_ops'})
    else:
        op.create_index('ix_instance_search_name', 'process_instance', ['search_name'], unique=False)


def downgrade():
    op.drop_index('ix_instance_search_name', table_name='process_instance')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('search_name')
    # pg_trgm stays: other objects may use it, and dropping an extension is the DBA's decision.
