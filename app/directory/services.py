"""The mapping table edited by admins (/admin/verzeichnis); every change lands in
``GroupMappingEvent`` (who, when, what). Services only flush."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import Team, User
from app.directory.models import GroupMapping, GroupMappingEvent
from app.extensions import db


def mappings() -> list[GroupMapping]:
    return list(db.session.scalars(select(GroupMapping).order_by(GroupMapping.source, GroupMapping.group_name,
                                                                 GroupMapping.id)))


def events(limit: int = 50) -> list[GroupMappingEvent]:
    return list(db.session.scalars(select(GroupMappingEvent).order_by(GroupMappingEvent.at.desc(),
                                                                      GroupMappingEvent.id.desc()).limit(limit)))


def describe(mapping: GroupMapping) -> str:
    parts = [f"{mapping.source}: {mapping.group_name}"]
    if mapping.team is not None:
        parts.append(f"team {mapping.team.key} ({mapping.kind})")
    if mapping.role:
        parts.append(f"role {mapping.role}")
    return " -> ".join([parts[0], ", ".join(parts[1:])])[:500]


def find_duplicate(source: str, group_name: str, team_id: int | None, kind: str | None,
                   role: str | None) -> GroupMapping | None:
    query = select(GroupMapping).where(GroupMapping.source == source, GroupMapping.group_name == group_name)
    query = query.where(GroupMapping.team_id == team_id if team_id is not None else GroupMapping.team_id.is_(None))
    query = query.where(GroupMapping.kind == kind if kind is not None else GroupMapping.kind.is_(None))
    query = query.where(GroupMapping.role == role if role is not None else GroupMapping.role.is_(None))
    return db.session.scalar(query)


def add(source: str, group_name: str, team: Team | None, kind: str | None, role: str | None, by: User) -> GroupMapping:
    mapping = GroupMapping(source=source, group_name=group_name.strip().lower(), team=team,
                           kind=kind if team is not None else None, role=role or None, created_by=by)
    db.session.add(mapping)
    db.session.flush()
    db.session.add(GroupMappingEvent(user_id=by.id, action="added", entry=describe(mapping)))
    db.session.flush()
    return mapping


def delete(mapping: GroupMapping, by: User) -> None:
    db.session.add(GroupMappingEvent(user_id=by.id, action="deleted", entry=describe(mapping)))
    db.session.delete(mapping)
    db.session.flush()
