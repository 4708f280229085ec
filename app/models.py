"""Import every model module so metadata and migrations see all tables."""

from app.absence.models import Absence  # noqa: F401
from app.accesslog.models import AccessLogEntry  # noqa: F401
from app.alliance.models import AllianceCaseFact  # noqa: F401
from app.appointments.models import Appointment, AppointmentParticipant, CalendarFeed  # noqa: F401
from app.auth.models import ApiToken, Membership, Organisation, Team, User  # noqa: F401
from app.counselling.models import ContactRecord, ContactTopic  # noqa: F401
from app.decisions.models import DecisionTable  # noqa: F401
from app.directory.models import GroupMapping, GroupMappingEvent, OidcLogin  # noqa: F401
from app.documents.models import Document  # noqa: F401
from app.engine.modelrules import ProcessLaneRule, ProcessStarterTeam  # noqa: F401
from app.engine.models import (  # noqa: F401
    CaseEvent,
    CaseParticipant,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Task,
)
from app.formbuilder.models import FormDefinition, FormDefinitionVersion, ProcessVersionForm  # noqa: F401
from app.journal.models import JournalEntry, JournalRevision, JournalTopic  # noqa: F401
from app.mbe.models import Client, MbeCaseStat, MbeStatFact  # noqa: F401
from app.modeler.models import ProcessDraft  # noqa: F401
from app.network.models import Partner, PartnerContact, PartnerYear, Referral  # noqa: F401
from app.notify.models import Notification, OutboxMail  # noqa: F401
from app.offers.models import Offer  # noqa: F401
from app.ops.models import WorkerHeartbeat  # noqa: F401
from app.plans.models import PlanChange, PlanGoal  # noqa: F401
from app.retention.models import LegalHold, RetentionRun  # noqa: F401
from app.statistics.models import StatTaskDay  # noqa: F401
from app.useradmin.models import UserAdminEvent  # noqa: F401
from app.volunteers.models import CaseMessage, ExpenseEntry, Training, TrainingInvitation  # noqa: F401
from app.worktime.models import TimeRecord  # noqa: F401
