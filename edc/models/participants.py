"""A child in the trial: the user accounts, the participant, the allocation list, infusions."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edc.models.base import (
    PARTICIPANT_STATUSES,
    ROLES,
    SEXES,
    Base,
    UTCDateTime,
    utcnow,
)
from edc.protocol.codes import ParticipantStatus, VisitKind

if TYPE_CHECKING:
    from edc.models.visits import Visit


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # The person's name as a signature prints it ("李明 Li Ming"): the account's, not typed at
    # signing. None on an account made before names were kept, until an administrator adds it.
    full_name: Mapped[str | None] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by an administrator (a new account, a reset): it only lets its person choose their own,
    # so whoever typed it cannot act or sign as them.
    password_temporary: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    # The language the person chose in the page header; None: the site's (forms/study.toml).
    language: Mapped[str | None] = mapped_column(String(8))
    # The person's own link to the clinic calendar feed (a calendar app sends no log-in cookie):
    # random, revocable by its owner; None while no link is issued.
    clinic_feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)
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
        # The children still to be infused (no anchoring infusion yet), not every child.
        Index("ix_participant_awaiting", "anchor_infusion", "status"),
        # The children whose follow-up ended (completed, withdrawn), by code: casebooks to sign.
        Index("ix_participant_status_code", "status", "code"),
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
    status: Mapped[str] = mapped_column(String(16), default=ParticipantStatus.ENROLLED)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    # The family's calendar link: random, revocable; None while no link is issued.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Which infusion day 0 of follow-up is: 2 normally, 1 when the second was not given.
    anchor_infusion: Mapped[int | None] = mapped_column(Integer)
    anchor_reason: Mapped[str | None] = mapped_column(Text)
    # Frozen: no change of the child's data until someone unfreezes it, with a reason.
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    frozen_by: Mapped[str | None] = mapped_column(String(64))
    frozen_reason: Mapped[str | None] = mapped_column(Text)
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
        return [v for v in self.visits if v.kind == VisitKind.SCHEDULED]

    @property
    def has_screening(self) -> bool:
        return any(v.kind == VisitKind.SCREENING for v in self.visits)


class Allocation(Base):
    """One entry of the concealed randomisation list. Read the arm only via edc.read.blinding."""

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


WINDOW_DEVIATION = "window_deviation_days != 0"  # a partial index's condition


class Infusion(Base):
    __tablename__ = "infusion"
    __table_args__ = (
        UniqueConstraint("participant_id", "number"),
        CheckConstraint("number IN (1, 2)", name="number"),
        # The worklist's count of infusions given outside their window.
        Index("ix_infusion_window_deviation", "number", sqlite_where=text(WINDOW_DEVIATION),
              postgresql_where=text(WINDOW_DEVIATION)),
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
