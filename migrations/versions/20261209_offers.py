"""offers: the offers catalogue of the integration management (issue 15 item 3)

Revision ID: 5b2f8e0c6a41
Revises: 5c2f8a1e7d40
Create Date: 2026-12-09 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b2f8e0c6a41'
down_revision = '5c2f8a1e7d40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'offer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('titel', sa.String(length=200), nullable=False),
        sa.Column('art', sa.String(length=40), nullable=False),
        sa.Column('beschreibung', sa.Text(), nullable=False),
        sa.Column('alter_min', sa.Integer(), nullable=True),
        sa.Column('alter_max', sa.Integer(), nullable=True),
        sa.Column('aufenthaltsstatus', sa.JSON(), nullable=False),
        sa.Column('leistungssysteme', sa.JSON(), nullable=False),
        sa.Column('sprachniveau_min', sa.String(length=2), nullable=True),
        sa.Column('plaetze', sa.Integer(), nullable=True),
        sa.Column('plaetze_belegt', sa.Integer(), nullable=False),
        sa.Column('beginn', sa.Date(), nullable=True),
        sa.Column('ende', sa.Date(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name='fk_offer_organisation_id_organisation'),
        sa.ForeignKeyConstraint(['provider_id'], ['partner.id'], name='fk_offer_provider_id_partner'),
        sa.PrimaryKeyConstraint('id', name='pk_offer'),
    )
    op.create_index('ix_offer_org_active', 'offer', ['organisation_id', 'active'], unique=False)
    op.create_index('ix_offer_provider_id', 'offer', ['provider_id'], unique=False)


def downgrade():
    op.drop_index('ix_offer_provider_id', table_name='offer')
    op.drop_index('ix_offer_org_active', table_name='offer')
    op.drop_table('offer')
