"""Crisis reporting: anyone working on a case reports a crisis; the case's BPMN decides what
happens (an event subprocess started by the message ``krise_gemeldet``: who gets the task, the
acknowledgement deadline, the escalation). The pages stay in ``app/cases`` and the API."""

from app.crisis import acknowledged  # noqa: E402,F401  # connects the reporter's notice at import
