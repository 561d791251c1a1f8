"""Visits (scheduled, screening, unscheduled) and their results, one row per analyte."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from edc.models.base import (
    VISIT_KINDS,
    VISIT_STATUSES,
    Base,
    UTCDateTime,
    new_calendar_uid,
    utcnow,
)
from edc.protocol.codes import VisitKind, VisitStatus
from edc.protocol.schedule import ScreeningRule
from edc.rules import worklist as rules
from edc.rules.schedule import Window, sample_deviation, sample_window

if TYPE_CHECKING:
    from edc.models.participants import Participant


# The conditions of the partial indexes (the queries that use them say the same).
MISSING = "results_missing IS NOT NULL"
SAMPLE_DEVIATION = "sample_deviation_days != 0"
BOOKING_FLAGGED = "booking_flags IS NOT NULL"
UNBOOKED = "booked_date IS NULL"


class Visit(Base):
    __tablename__ = "visit"
    __table_args__ = (
        UniqueConstraint("participant_id", "code"),
        CheckConstraint(f"status IN {VISIT_STATUSES!r}", name="status"),
        CheckConstraint(f"kind IN {VISIT_KINDS!r}", name="kind"),
        # The worklist: planned visits by the day their window closes (with where it opens and
        # the kind, so its counts read the index alone), and by booked day.
        Index("ix_visit_status_window", "status", "window_end", "window_start", "kind"),
        Index("ix_visit_status_booked_date", "status", "booked_date"),
        # Visits still to book by target day, with what the due list filters on: its first
        # rows read in order, and its count from the index alone.
        Index("ix_visit_unbooked", "status", "target_date", "window_end", "window_start", "kind",
              sqlite_where=text(UNBOOKED), postgresql_where=text(UNBOOKED)),
        # The participant list: each child's next and overdue visits; the clinic feed: planned
        # visits by suggested day.
        Index("ix_visit_participant_status_window_end", "participant_id", "status",
              "window_end"),
        Index("ix_visit_status_suggested_date", "status", "suggested_date"),
        # The worklist's counts read only the rows they count: done visits still missing a
        # required result, and the deviations to review.
        Index("ix_visit_results_missing", "status", sqlite_where=text(MISSING),
              postgresql_where=text(MISSING)),
        Index("ix_visit_sample_deviation", "status", sqlite_where=text(SAMPLE_DEVIATION),
              postgresql_where=text(SAMPLE_DEVIATION)),
        # With the flags, so a count reads this index alone and no other index of the status
        # looks as good to a database without statistics.
        Index("ix_visit_booking_flags", "status", "booking_flags",
              sqlite_where=text(BOOKING_FLAGGED), postgresql_where=text(BOOKING_FLAGGED)),
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
    status: Mapped[str] = mapped_column(String(16), default=VisitStatus.PLANNED)
    # The infusion the schedule counts from (none for a screening visit before any infusion).
    anchor_infusion: Mapped[int | None] = mapped_column(Integer)
    anchor_date: Mapped[date | None] = mapped_column(Date)
    # Screening and unscheduled visits are not part of the follow-up schedule.
    kind: Mapped[str] = mapped_column(String(16), default=VisitKind.SCHEDULED)
    # Days the sample was taken outside the window (negative before it; 0 inside).
    sample_deviation_days: Mapped[int] = mapped_column(Integer, default=0)
    missed_reason: Mapped[str | None] = mapped_column(Text)
    results_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A done visit's required analytes with no result row (neither a value nor "not done"),
    # space-separated, as of its last save; NULL when none is missing or the visit is not done.
    # Kept with the results (edc.services.results) so the worklist need not read every result.
    results_missing: Mapped[str | None] = mapped_column(String(255))
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

    @property
    def planned_window(self) -> Window:
        """The stored target and window."""
        return Window(self.target_date, self.window_start, self.window_end)

    def sample_window(self, screening: ScreeningRule) -> Window:
        """The window a sample date is judged against (a screening visit's follows infusion 1)."""
        first = self.participant.infusion(1)
        return sample_window(self.kind, self.planned_window, first.date if first else None,
                             screening)

    def sample_deviation(self, screening: ScreeningRule, sample: date) -> int:
        """Days a sample taken on `sample` lies outside its window (edc.rules.schedule)."""
        first = self.participant.infusion(1)
        return sample_deviation(self.kind, self.planned_window, first.date if first else None,
                                screening, sample)

    def timing(self, today: date) -> str | None:
        """'open' while a planned visit's window includes today, 'overdue' once a scheduled
        visit's window has passed (edc.rules.worklist says which visits can be overdue)."""
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


# What a family's calendar shows of a visit: a change to any of these is a move of the event.
CALENDAR_FIELDS = ("target_date", "window_start", "window_end", "suggested_date", "booked_date",
                   "booked_time", "status", "label", "actual_date")


def raise_calendar_sequence(session: Session, _context: object, _instances: object) -> None:
    """Count a change of what a family's calendar shows (bound to the app's sessions in edc.db)."""
    for obj in session.dirty:
        if isinstance(obj, Visit) and session.is_modified(obj):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in CALENDAR_FIELDS):
                obj.calendar_sequence = (obj.calendar_sequence or 0) + 1
                obj.calendar_stamp = utcnow()
