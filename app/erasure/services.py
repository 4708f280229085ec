"""The one door to erasing a case's personal data (PLACEHOLDER: the full version is being built).

Contract (callers rely on it):

``erase_case(instance, *, reason, actor=None)`` removes the personal data of ``instance`` and
keeps the case as an anonymous record: the id, reference, process version, owning team, status,
dates, outcome, task rows (durations) and the anonymous statistics rows (MBE facts, time records)
stay, so every statistic shows the same figures afterwards. ``reason`` is ``"retention"`` or
``"consent_withdrawn"``. The erasure is recorded as a case event of kind ``erased`` with the
reason and the date, never with the erased data. Only flushes; the caller's edge commits.
"""

from __future__ import annotations

from app.engine.models import CaseEvent, ProcessInstance
from app.extensions import db

RETENTION, CONSENT_WITHDRAWN = "retention", "consent_withdrawn"


def erase_case(instance: ProcessInstance, *, reason: str, actor=None) -> None:
    instance.title = ""
    instance.search_name = ""
    instance.data = {}
    db.session.add(CaseEvent(instance_id=instance.id, kind="erased", title="",
                             actor_id=getattr(actor, "id", None), data={"grund": reason}))
    db.session.flush()
