"""Import every model module so metadata and migrations see all tables."""

from app.absence.models import Absence  # noqa: F401
from app.auth.models import ApiToken, Membership, Organisation, Team, User  # noqa: F401
from app.engine.models import (  # noqa: F401
    CaseEvent,
    CaseParticipant,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Task,
)
from app.notify.models import Notification, OutboxMail  # noqa: F401
