"""The declarative base, the UTC timestamp type, the stored codes' allowed values."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    MetaData,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from edc.permissions import Role
from edc.protocol.codes import ParticipantStatus, Sex, VisitKind, VisitStatus

# The allowed values as plain strings, in the enums' order: the CHECK constraints print them
# (f"status IN {VISIT_STATUSES!r}"), and the migrations hold the same text.
ROLES = tuple(r.value for r in Role)
SEXES = tuple(s.value for s in Sex)
PARTICIPANT_STATUSES = tuple(s.value for s in ParticipantStatus)
VISIT_STATUSES = tuple(s.value for s in VisitStatus)
VISIT_KINDS = tuple(k.value for k in VisitKind)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_calendar_uid() -> str:
    """A random event UID: nothing in it says who the child is."""
    return f"{uuid.uuid4()}@alport-edc"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp, stored as naive UTC on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"Got naive datetime {value!r}. Expected a timezone-aware datetime.")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
