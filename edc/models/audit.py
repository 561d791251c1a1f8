"""The append-only audit trail: one entry per save (who, when, why), with its field changes.

A save writes one `audit_entry` row and under it its `audit_event` rows, so who, when and why
are stored once, not on every field: a created record is one row whose `new` holds the values
entered as one JSON object, a deleted record one row whose `old` holds its last values so, and an
update one row per field it changed. `AuditEvent` reads a change together with its entry (the two
tables joined); `field_changes` tells every row as one change per field, which is how every page,
export and check reads the trail.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, join, text
from sqlalchemy.orm import Mapped, column_property, mapped_column

from edc.models.base import Base, UTCDateTime

NO_CHILD = "participant_id IS NULL"  # the condition of a partial index (queries say the same)


class AuditEntry(Base):
    """One save: who made it, when (UTC) and why. Append-only like its changes."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    username: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)


class AuditChange(Base):
    """One field a save changed (the database refuses UPDATE and DELETE: see migrations)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        # The few rows of no child (accounts, the allocation list, the lock), by what they are.
        Index("ix_audit_event_no_child", "entity", "entity_id",
              sqlite_where=text(NO_CHILD), postgresql_where=text(NO_CHILD)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id"))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    # A child's trail is a few hundred rows: the one index that finds it is enough.
    participant_id: Mapped[int | None] = mapped_column(Integer, index=True)
    field: Mapped[str | None] = mapped_column(String(64))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)


_change, _entry = AuditChange.__table__, AuditEntry.__table__


class AuditEvent(Base):
    """A field change with its entry's who, when and why: read-only (write with edc.audit)."""

    __table__ = join(_change, _entry, _change.c.entry_id == _entry.c.id)
    __mapper_args__ = {"primary_key": [_change.c.id]}

    id = column_property(_change.c.id)
    entry_id = column_property(_change.c.entry_id, _entry.c.id)
    action = column_property(_change.c.action)
    entity = column_property(_change.c.entity)
    entity_id = column_property(_change.c.entity_id)
    participant_id = column_property(_change.c.participant_id)
    field = column_property(_change.c.field)
    old = column_property(_change.c.old)
    new = column_property(_change.c.new)
    at = column_property(_entry.c.at)
    username = column_property(_entry.c.username)
    reason = column_property(_entry.c.reason)


@dataclass(frozen=True)
class FieldChange:
    """One field of one audit row, with its entry's who, when and why (what readers show)."""

    id: int
    entry_id: int
    action: str
    entity: str
    entity_id: int | None
    participant_id: int | None
    field: str | None
    old: str | None
    new: str | None
    at: datetime
    username: str
    reason: str | None


Known = Mapping[tuple[str, int | None], Mapping[str, str | None]]
FIELDS = ("id", "entry_id", "action", "entity", "entity_id", "participant_id", "field", "old",
          "new", "at", "username", "reason")


def _values(text: str | None) -> dict[str, str | None] | None:
    """The values of a create or delete row (a JSON object), or None for a row of one field."""
    if not text or not text.startswith("{"):
        return None
    values = json.loads(text)
    return values if isinstance(values, dict) else None


def field_changes(rows: Iterable[Any], known: Known | None = None) -> list[FieldChange]:
    """Every row as one change per field, oldest first: a create or delete row as one change
    per value it holds (sorted by name), other rows as they are.

    A create leaves out what the record was created with but nobody entered (a result's analyte
    and visit, a planned visit's dates): each is filled, first from the old value of the field's
    first later update among the rows, then from the record's delete row, then from `known`
    (the record's values now, by entity and id). Pure: it runs no query.
    """
    rows = list(rows)
    first_old: dict[tuple[str, int | None], dict[str, str | None]] = {}
    for row in rows:
        key = (row.entity, row.entity_id)
        if row.field is None and row.action == "delete":
            for name, value in (_values(row.old) or {}).items():
                first_old.setdefault(key, {}).setdefault(name, value)
        elif row.field is not None and row.action == "update":
            first_old.setdefault(key, {}).setdefault(row.field, row.old)
    out: list[FieldChange] = []
    for row in rows:
        change = FieldChange(**{name: getattr(row, name) for name in FIELDS})
        values = (_values(row.new) if row.action == "create" else
                  _values(row.old) if row.action == "delete" else None)
        if row.field is not None or values is None:
            out.append(change)
            continue
        if row.action == "create":
            key = (row.entity, row.entity_id)
            filled = {**(known or {}).get(key, {}), **first_old.get(key, {})}
            values = {name: value for name, value in filled.items()
                      if value is not None and name not in values} | values
            out += [replace(change, field=name, new=values[name]) for name in sorted(values)]
        else:
            out += [replace(change, field=name, old=values[name]) for name in sorted(values)]
    return out
