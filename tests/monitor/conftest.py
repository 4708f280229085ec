"""A generated data set with known answers for the monitor (bulk rows, no workflows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from app.auth.models import Team, User
from app.engine.models import ProcessInstance, ProcessModel, ProcessVersion, Task
from app.extensions import db

TEAMS = ["asd", "fruehehilfen", "fd311", "mbe"]
STEPS = [("bedarfsermittlung", "Bedarfsermittlung"), ("vermittlung", "Vermittlung"),
         ("vorgespraech", "Vorgespräch")]
STATUSES = ["running", "running", "suspended", "completed", "terminated"]
BASE = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
N = 240


@dataclass
class Gen:
    """One generated case as the test knows it (the expected answers are computed from these)."""

    id: int
    team: str
    version: int
    status: str
    started_at: datetime
    step: str | None  # where it waits (running or suspended)
    overdue: bool
    crisis: bool


def plan(i: int) -> dict:
    status = STATUSES[i % 5]
    waiting = status in ("running", "suspended")
    return {
        "team": TEAMS[i % 4], "version": 2 if i % 3 == 0 else 1, "status": status,
        "started_at": BASE + timedelta(days=i),
        "step": STEPS[i % 3][0] if waiting else None,
        "overdue": status == "running" and i % 6 == 0,
        "crisis": status == "running" and i % 7 == 0,
    }


@pytest.fixture
def dataset(app):
    """N cases of alltagsbegleitung v1/v2 across four teams; returns the list of Gen."""
    now = datetime.now(UTC)
    with app.app_context():
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "alltagsbegleitung"))
        v1 = db.session.scalar(select(ProcessVersion).where(ProcessVersion.model_id == model.id))
        v2 = ProcessVersion(model=model, number=2, bpmn_xml=v1.bpmn_xml, content_hash="generated-v2")
        db.session.add(v2)
        db.session.flush()
        versions = {1: v1.id, 2: v2.id}
        teams = {t.key: t.id for t in db.session.scalars(select(Team))}
        starter = db.session.scalar(select(User.id).where(User.username == "fb36"))
        generated = []
        for i in range(N):
            p = plan(i)
            result = db.session.execute(insert(ProcessInstance).values(
                reference=f"GEN-{i:05d}", version_id=versions[p["version"]], status=p["status"],
                owner_team_id=teams[p["team"]], started_by_id=starter, started_at=p["started_at"],
                state="", data={}, row_version=1))
            instance_id = result.inserted_primary_key[0]
            rows = []
            if p["step"]:
                task_status = "paused" if p["status"] == "suspended" else ("claimed" if i % 2 else "open")
                title = dict(STEPS)[p["step"]]
                due = now - timedelta(days=1) if p["overdue"] else now + timedelta(days=1)
                rows.append({"bpmn_id": p["step"], "title": title, "status": task_status, "due_at": due,
                             "crisis": False})
            if p["crisis"]:
                rows.append({"bpmn_id": "krise_quittieren", "title": "Krise zur Kenntnis nehmen",
                             "status": "open", "due_at": now + timedelta(hours=4), "crisis": True})
            rows.append({"bpmn_id": "start_done", "title": "Erledigt", "status": "completed",
                         "due_at": now - timedelta(days=30), "crisis": False})  # done: never overdue
            for n, row in enumerate(rows):
                db.session.execute(insert(Task).values(  # as the app writes them: with the case's team and model
                    instance_id=instance_id, spiff_task_id=f"gen-{i}-{n}", candidate_team_id=teams[p["team"]],
                    owner_team_id=teams[p["team"]], model_id=model.id,
                    created_at=p["started_at"], priority=0, for_leads=False, iteration=0, **row))
            generated.append(Gen(id=instance_id, **p))
        db.session.commit()
    return generated
