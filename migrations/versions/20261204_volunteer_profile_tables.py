"""volunteer profile tables: volunteer_profile, volunteer_language, volunteer_training instead of
the JSON column user_account.profile

Revision ID: b58e2f1c93a7
Revises: 7a3c91d04e52
Create Date: 2026-12-04 18:05:00.000000

"""
from datetime import date

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b58e2f1c93a7'
down_revision = '7a3c91d04e52'
branch_labels = None
depends_on = None

user_account = sa.table('user_account', sa.column('id', sa.Integer), sa.column('profile', sa.JSON))
volunteer_profile = sa.table(
    'volunteer_profile', sa.column('user_id', sa.Integer), sa.column('stunden_pro_woche', sa.Float),
    sa.column('wochentage', sa.JSON), sa.column('orte', sa.JSON), sa.column('schweigepflicht_am', sa.Date),
    sa.column('fuehrungszeugnis_am', sa.Date), sa.column('status', sa.String))
volunteer_language = sa.table(
    'volunteer_language', sa.column('user_id', sa.Integer), sa.column('position', sa.Integer),
    sa.column('name', sa.String), sa.column('level', sa.String))
volunteer_training = sa.table(
    'volunteer_training', sa.column('user_id', sa.Integer), sa.column('kind', sa.String),
    sa.column('completed_on', sa.Date))


def upgrade():
    op.create_table('volunteer_profile',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('stunden_pro_woche', sa.Float(), nullable=True),
    sa.Column('wochentage', sa.JSON(), nullable=False),
    sa.Column('orte', sa.JSON(), nullable=False),
    sa.Column('schweigepflicht_am', sa.Date(), nullable=True),
    sa.Column('fuehrungszeugnis_am', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('volunteer_language',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['volunteer_profile.user_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'name', name='uq_volunteer_language_user_name')
    )
    op.create_table('volunteer_training',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['volunteer_profile.user_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind')
    )

    connection = op.get_bind()
    profiles, languages, trainings = [], [], []
    for user_id, data in connection.execute(
            sa.select(user_account.c.id, user_account.c.profile).where(user_account.c.profile.isnot(None))):
        if not isinstance(data, dict):
            continue
        hours = data.get('stunden_pro_woche')
        profiles.append({
            'user_id': user_id,
            'stunden_pro_woche': float(hours) if isinstance(hours, (int, float)) and not isinstance(hours, bool)
            else None,
            'wochentage': _strings(data.get('wochentage')), 'orte': _strings(data.get('orte')),
            'schweigepflicht_am': _date(data.get('schweigepflicht_am')),
            'fuehrungszeugnis_am': _date(data.get('fuehrungszeugnis_am')),
            'status': data.get('status') if isinstance(data.get('status'), str) and data.get('status') else None,
        })
        levels = data.get('sprachniveaus') if isinstance(data.get('sprachniveaus'), dict) else {}
        for position, name in enumerate(dict.fromkeys(_strings(data.get('sprachen')))):
            level = levels.get(name)
            languages.append({'user_id': user_id, 'position': position, 'name': name,
                              'level': level if isinstance(level, str) and level else None})
        done = data.get('schulungen') if isinstance(data.get('schulungen'), dict) else {}
        for kind, value in sorted(done.items()):
            if _date(value) is not None:
                trainings.append({'user_id': user_id, 'kind': kind, 'completed_on': _date(value)})
    for table, rows in ((volunteer_profile, profiles), (volunteer_language, languages),
                        (volunteer_training, trainings)):
        if rows:
            op.bulk_insert(table, rows)

    # ALTER TABLE … DROP COLUMN also on SQLite (3.35+): recreating user_account there would run
    # with foreign keys on and delete the rows of every ON DELETE CASCADE child (user_role, …).
    with op.batch_alter_table('user_account', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('profile')


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile', sa.JSON(), nullable=True))

    connection = op.get_bind()
    data: dict[int, dict] = {}
    for row in connection.execute(sa.select(volunteer_profile)).mappings():
        hours = row['stunden_pro_woche']
        data[row['user_id']] = {
            'sprachen': [], 'sprachniveaus': {},
            'stunden_pro_woche': None if hours is None else int(hours) if hours == int(hours) else hours,
            'wochentage': list(row['wochentage'] or []), 'orte': list(row['orte'] or []), 'schulungen': {},
            'schweigepflicht_am': _iso(row['schweigepflicht_am']),
            'fuehrungszeugnis_am': _iso(row['fuehrungszeugnis_am']), 'status': row['status'],
        }
    for row in connection.execute(sa.select(volunteer_language).order_by(
            volunteer_language.c.user_id, volunteer_language.c.position)).mappings():
        data[row['user_id']]['sprachen'].append(row['name'])
        if row['level']:
            data[row['user_id']]['sprachniveaus'][row['name']] = row['level']
    for row in connection.execute(sa.select(volunteer_training)).mappings():
        data[row['user_id']]['schulungen'][row['kind']] = _iso(row['completed_on'])
    for user_id, profile in data.items():
        connection.execute(user_account.update().where(user_account.c.id == user_id).values(profile=profile))

    op.drop_table('volunteer_training')
    op.drop_table('volunteer_language')
    op.drop_table('volunteer_profile')


def _strings(value):
    return [str(v).strip() for v in value if str(v).strip()] if isinstance(value, list) else []


def _date(value):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _iso(value):
    if isinstance(value, str):  # SQLite hands back the stored text
        return value
    return value.isoformat() if value else None
