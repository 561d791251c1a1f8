"""Database tables as typed SQLAlchemy 2.0 models. Imports no Flask."""

from edc.models.audit import AuditChange, AuditEntry, AuditEvent
from edc.models.base import (
    PARTICIPANT_STATUSES,
    ROLES,
    SEXES,
    VISIT_KINDS,
    VISIT_STATUSES,
    Base,
    UTCDateTime,
    new_calendar_uid,
    utcnow,
)
from edc.models.logs import LogEntry
from edc.models.monitoring import QUERY_STATUSES, DataQuery, Signature, StudyLock, Verification
from edc.models.participants import Allocation, Infusion, Participant, User
from edc.models.security import LOGIN_OUTCOMES, LoginAttempt, LoginThrottle, UserSession
from edc.models.visits import CALENDAR_FIELDS, Result, Visit, raise_calendar_sequence

__all__ = [
    "Allocation",
    "AuditChange",
    "AuditEntry",
    "AuditEvent",
    "Base",
    "CALENDAR_FIELDS",
    "DataQuery",
    "Infusion",
    "LOGIN_OUTCOMES",
    "LogEntry",
    "LoginAttempt",
    "LoginThrottle",
    "PARTICIPANT_STATUSES",
    "Participant",
    "QUERY_STATUSES",
    "ROLES",
    "Result",
    "SEXES",
    "Signature",
    "StudyLock",
    "UTCDateTime",
    "User",
    "UserSession",
    "VISIT_KINDS",
    "VISIT_STATUSES",
    "Verification",
    "Visit",
    "new_calendar_uid",
    "raise_calendar_sequence",
    "utcnow",
]
