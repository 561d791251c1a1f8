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

ROLES = ("admin", "investigator", "nurse", "monitor", "unblinded")
SEXES = ("M", "F")
PARTICIPANT_STATUSES = ("enrolled", "withdrawn", "completed")
VISIT_STATUSES = ("planned", "done", "missed", "cancelled")
VISIT_KINDS = ("scheduled", "screening", "unscheduled")


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
