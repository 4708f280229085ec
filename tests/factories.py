"""Factories behind the fixtures of tests/conftest.py, importable where a fixture cannot reach
(module-level helpers, a second app made with ``make_app``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.auth.models import Team, User
from app.engine import service
from app.engine.models import ACTIVE_TASK_STATES, ProcessInstance, ProcessModel, Task
from app.extensions import db

API = "/api/v1"


def login(client, username: str, password: str = "demo"):
    """Log ``client`` in through the login page (after logging out whoever was in)."""
    client.post("/logout")
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login as {username} failed"
    return client


def api_token(client, username: str, password: str = "demo") -> str:
    """A bearer token from ``POST /api/v1/tokens``."""
    response = client.post(f"{API}/tokens", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


class ApiClient:
    """A test client that sends one person's bearer token with every request.

    ``prefix`` is put before each path (``""``: paths are given in full, e.g. ``/api/v1/tasks``)."""

    def __init__(self, client, token: str, username: str = "", prefix: str = "") -> None:
        self.client, self.token, self.username, self.prefix = client, token, username, prefix
        self.headers = {"Authorization": f"Bearer {token}"}

    def open(self, method: str, path: str, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.open(self.prefix + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.open("POST", path, json=json, **kwargs) if json is not None else self.open("POST", path, **kwargs)

    def put(self, path: str, json=None, **kwargs):
        return self.open("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json=None, **kwargs):
        return self.open("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.open("DELETE", path, **kwargs)


def api_client(app, username: str, password: str = "demo", prefix: str = "") -> ApiClient:
    client = app.test_client()
    return ApiClient(client, api_token(client, username, password), username, prefix)


def user(username: str) -> User:
    """The user row (inside an app context)."""
    found = db.session.scalar(select(User).where(User.username == username))
    assert found is not None, f"no user {username}"
    return found


def open_task(instance_id: int, bpmn_id: str) -> Task | None:
    """The open task row ``bpmn_id`` of the case (inside an app context)."""
    return db.session.scalar(select(Task).where(Task.instance_id == instance_id, Task.bpmn_id == bpmn_id,
                                                Task.status.in_(ACTIVE_TASK_STATES)))


def start_case(username: str = "fb36", key: str = "alltagsbegleitung", team: str | None = "asd") -> int:
    """Start a case of process ``key`` through the engine service and commit (inside an app
    context); returns its id."""
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))
    assert model is not None, f"no process model {key}"
    owner = db.session.scalar(select(Team).where(Team.key == team)) if team else None
    instance = service.start_instance(model, user(username), owner)
    db.session.commit()
    return instance.id


def complete(instance_id: int, bpmn_id: str, username: str, data: dict) -> ProcessInstance:
    """Complete the open task ``bpmn_id`` as ``username`` through the engine service and commit
    (inside an app context); returns the instance."""
    task = open_task(instance_id, bpmn_id)
    assert task is not None, f"no open task {bpmn_id}"
    instance = service.complete_task(task, user(username), data)
    db.session.commit()
    return instance


class Clock:
    """A clock the test moves: ``app.timeutil.utcnow`` (sessions, tokens, lockouts) and the
    engine's time (timers, ``engine_now``) both read it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.on_change = None  # called with the new moment (the fixture points the engine at it)
        self._now = (start or datetime.now(UTC)).replace(microsecond=0)

    @property
    def now(self) -> datetime:
        return self._now

    @now.setter
    def now(self, moment: datetime) -> None:
        self._now = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if self.on_change is not None:
            self.on_change(self._now)

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta) -> None:
        self.now = self._now + timedelta(**delta)

    def __call__(self) -> datetime:
        return self.now


def today() -> date:
    """The office's calendar day, now: what the app's forms and pages take as "today" (the test
    process runs in the office time zone, see ``app.timeutil.use_office_timezone``). Call it when
    the date is used, never once at import: a run that passes midnight (23:00 UTC in Berlin)
    would otherwise send or expect yesterday's date while the app already has the new day."""
    return date.today()
