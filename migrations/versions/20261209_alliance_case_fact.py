"""alliance figures: one anonymous row per young adult's case

Revision ID: 5c2f8a1e7d40
Revises: 8d4e1b7c2a35
Create Date: 2026-12-09 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c2f8a1e7d40'
down_revision = '8d4e1b7c2a35'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alliance_case_fact',
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('aufnahme_datum', sa.Date(), nullable=True),
        sa.Column('aufenthaltsstatus', sa.String(length=40), nullable=False),
        sa.Column('leistungssystem', sa.String(length=40), nullable=False),
        sa.Column('erstes_angebot', sa.Date(), nullable=True),
        sa.Column('ergebnis', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name='fk_alliance_case_fact_instance_id_process_instance'),
        sa.ForeignKeyConstraint(['team_id'], ['team.id'], name='fk_alliance_case_fact_team_id_team'),
        sa.PrimaryKeyConstraint('instance_id', name='pk_alliance_case_fact'),
    )
    op.create_index('ix_alliance_case_fact_team_id', 'alliance_case_fact', ['team_id'], unique=False)


def downgrade():
    op.drop_index('ix_alliance_case_fact_team_id', table_name='alliance_case_fact')
    op.drop_table('alliance_case_fact')
