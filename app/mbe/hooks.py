"""The MBE part of every task completion (a receiver of ``app.engine.signals.task_completed``)."""

from __future__ import annotations

from app.auth.models import User
from app.engine.models import ProcessInstance, Task
from app.mbe import clients, facts
from app.mbe.access import is_mbe_case
from app.network.services import refer_named_partners


def after_completion(instance: ProcessInstance, task: Task, user: User, data: dict) -> None:
    if not is_mbe_case(instance):
        return
    if task.bpmn_id == "erstkontakt":
        clients.link_after_erstkontakt(instance, user, data)
    facts.record(instance, task, data)
    if isinstance(data.get("ziele"), list):  # Förderplan / review: named directory partners become referrals
        refer_named_partners(instance, user, data["ziele"])
