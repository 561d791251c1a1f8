"""Database tables as typed SQLAlchemy 2.0 models. Imports no Flask."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from edc import worklist_rules as rules

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


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Flask-Login's user protocol, written out so models stay free of Flask.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class Participant(Base):
    __tablename__ = "participant"
    __table_args__ = (
        CheckConstraint(f"sex IN {SEXES!r}", name="sex"),
        CheckConstraint(f"status IN {PARTICIPANT_STATUSES!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    weight_kg: Mapped[float] = mapped_column(Float)
    height_cm: Mapped[float] = mapped_column(Float)
    consent_date: Mapped[date] = mapped_column(Date)
    screening_egfr: Mapped[float] = mapped_column(Float)
    eligibility: Mapped[dict[str, bool]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="enrolled")
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    # The family's calendar link: random, revocable; None while no link is issued.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Which infusion day 0 of follow-up is: 2 normally, 1 when the second was not given.
    anchor_infusion: Mapped[int | None] = mapped_column(Integer)
    anchor_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    infusions: Mapped[list[Infusion]] = relationship(
        back_populates="participant", order_by="Infusion.number"
    )
    visits: Mapped[list[Visit]] = relationship(
        back_populates="participant", order_by="(Visit.target_date, Visit.code)"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def participant_id(self) -> int:
        return self.id

    def infusion(self, number: int) -> Infusion | None:
        return next((i for i in self.infusions if i.number == number), None)

    @property
    def follow_up(self) -> list[Visit]:
        """The scheduled follow-up visits, without screening and unscheduled ones."""
        return [v for v in self.visits if v.kind == "scheduled"]

    @property
    def has_screening(self) -> bool:
        return any(v.kind == "screening" for v in self.visits)


class Allocation(Base):
    """One entry of the concealed randomisation list. Read the arm only via services.arm_for."""

    __tablename__ = "allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    arm: Mapped[str] = mapped_column(String(16))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id"), unique=True
    )
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Infusion(Base):
    __tablename__ = "infusion"
    __table_args__ = (
        UniqueConstraint("participant_id", "number"),
        CheckConstraint("number IN (1, 2)", name="number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    number: Mapped[int] = mapped_column(Integer)
    date: Mapped[date] = mapped_column(Date)
    weight_kg: Mapped[float] = mapped_column(Float)
    product_lot: Mapped[str] = mapped_column(String(64))
    volume_ml: Mapped[float] = mapped_column(Float)
    dose_cells_per_kg: Mapped[float] = mapped_column(Float)
    planned_cells: Mapped[float] = mapped_column(Float)
    # For the second infusion: days outside its window after the first (0 = inside).
    window_deviation_days: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    participant: Mapped[Participant] = relationship(back_populates="infusions")

    __mapper_args__ = {"version_id_col": version}


class Visit(Base):
    __tablename__ = "visit"
    __table_args__ = (
        UniqueConstraint("participant_id", "code"),
        CheckConstraint(f"status IN {VISIT_STATUSES!r}", name="status"),
        CheckConstraint(f"kind IN {VISIT_KINDS!r}", name="kind"),
        # The worklist: planned visits by the day their window closes, and by booked day.
        Index("ix_visit_status_window_end", "status", "window_end"),
        Index("ix_visit_status_booked_date", "status", "booked_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(64))
    target_date: Mapped[date] = mapped_column(Date)
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    suggested_date: Mapped[date] = mapped_column(Date)
    suggested_is_clinic_day: Mapped[bool] = mapped_column(Boolean, default=True)
    actual_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    # The infusion the schedule counts from (none for a screening visit before any infusion).
    anchor_infusion: Mapped[int | None] = mapped_column(Integer)
    anchor_date: Mapped[date | None] = mapped_column(Date)
    # Screening and unscheduled visits are not part of the follow-up schedule.
    kind: Mapped[str] = mapped_column(String(16), default="scheduled")
    # Days the sample was taken outside the window (negative before it; 0 inside).
    sample_deviation_days: Mapped[int] = mapped_column(Integer, default=0)
    missed_reason: Mapped[str | None] = mapped_column(Text)
    results_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The appointment: a day (and optionally a local time) in the window, or flagged with a reason.
    booked_date: Mapped[date | None] = mapped_column(Date)
    booked_time: Mapped[time | None] = mapped_column(Time)
    booking_reason: Mapped[str | None] = mapped_column(Text)
    booking_flags: Mapped[str | None] = mapped_column(String(64))
    cancelled_reason: Mapped[str | None] = mapped_column(Text)
    # One calendar event for the visit's whole life: a random UID, a SEQUENCE raised on each move.
    calendar_uid: Mapped[str] = mapped_column(String(64), unique=True, default=new_calendar_uid)
    calendar_sequence: Mapped[int] = mapped_column(Integer, default=0)
    calendar_stamp: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    participant: Mapped[Participant] = relationship(back_populates="visits")
    results: Mapped[list[Result]] = relationship(back_populates="visit", order_by="Result.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def appointment(self) -> date:
        """The day the family is expected: booked, else the suggested clinic day."""
        return self.booked_date or self.suggested_date

    @property
    def day(self) -> int | None:
        """The target's day number after the anchoring infusion."""
        return None if self.anchor_date is None else (self.target_date - self.anchor_date).days

    def timing(self, today: date) -> str | None:
        """'open' while a planned visit's window includes today, 'overdue' once a scheduled
        visit's window has passed (edc.worklist_rules says which visits can be overdue)."""
        if self.status != rules.OPEN_STATUS:
            return None
        if rules.is_overdue(self.status, self.kind, self.window_end, today):
            return "overdue"
        if rules.is_open(self.window_start, self.window_end, today):
            return "open"
        return None


class Result(Base):
    """One analyte of one visit, as typed and in its canonical unit (like a CDISC LB record)."""

    __tablename__ = "result"
    __table_args__ = (UniqueConstraint("visit_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    field: Mapped[str] = mapped_column(String(32))  # the key in forms/results.toml
    test_code: Mapped[str] = mapped_column(String(16))  # CDISC LBTESTCD / VSTESTCD
    loinc: Mapped[str | None] = mapped_column(String(16))
    typed_value: Mapped[str | None] = mapped_column(String(64))  # exactly as typed
    typed_unit: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)  # in the canonical unit
    unit: Mapped[str | None] = mapped_column(String(16))  # the canonical unit
    qualifier: Mapped[str | None] = mapped_column(String(32))  # e.g. too numerous to count
    not_done_reason: Mapped[str | None] = mapped_column(Text)
    warn_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    visit: Mapped[Visit] = relationship(back_populates="results")

    __mapper_args__ = {"version_id_col": version}


class AuditEvent(Base):
    """Append-only: the database refuses UPDATE and DELETE on this table (see migrations)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    participant_id: Mapped[int | None] = mapped_column(Integer, index=True)
    field: Mapped[str | None] = mapped_column(String(64))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


# What a family's calendar shows of a visit: a change to any of these is a move of the event.
CALENDAR_FIELDS = ("target_date", "window_start", "window_end", "suggested_date", "booked_date",
                   "booked_time", "status", "label", "actual_date")


@event.listens_for(Session, "before_flush")
def _raise_calendar_sequence(session: Session, _context: object, _instances: object) -> None:
    for obj in session.dirty:
        if isinstance(obj, Visit) and session.is_modified(obj):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in CALENDAR_FIELDS):
                obj.calendar_sequence = (obj.calendar_sequence or 0) + 1
                obj.calendar_stamp = utcnow()
