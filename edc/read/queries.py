"""The queries as the pages read them: a child's, a visit's, a log entry's, one query with its
thread from the audit trail, the list page (filtered, a page at a time), and the counts each
role has waiting. A fixed number of SQL statements whatever the number of children. Nothing
here reads the arm."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from edc.models import (
    AuditEvent,
    DataQuery,
    Infusion,
    LogEntry,
    Participant,
    Result,
    Visit,
)
from edc.models.audit import FieldChange, field_changes
from edc.protocol.codes import QueryStatus
from edc.read.codes import code_holds

PAGE_SIZE = 25
# The columns of a result a correction of its value changes (what the thread tells).
RESULT_VALUE_FIELDS = ("typed_value", "typed_unit", "qualifier", "not_done_reason")
PENDING = (QueryStatus.OPEN, QueryStatus.ANSWERED)


@dataclass(frozen=True)
class QueryRow:
    """A query with its child and the record it asks about (None if that record is gone)."""

    query: DataQuery
    participant: Participant
    record: Any


def child_queries(session: Session, participant_id: int) -> list[DataQuery]:
    """Every query on the child's values, oldest first: one statement."""
    return list(session.scalars(select(DataQuery).where(
        DataQuery.participant_id == participant_id).order_by(DataQuery.id)))


def visit_queries(session: Session, visit: Visit) -> list[DataQuery]:
    """The queries on a visit's sample date and on its results: one statement."""
    results = select(Result.id).where(Result.visit_id == visit.id)
    return list(session.scalars(select(DataQuery).where(or_(
        and_(DataQuery.entity == "visit", DataQuery.entity_id == visit.id),
        and_(DataQuery.entity == "result", DataQuery.entity_id.in_(results)),
    )).order_by(DataQuery.id)))


def entry_queries(session: Session, entry_id: int) -> list[DataQuery]:
    """The queries on the items of one log entry: one statement."""
    return list(session.scalars(select(DataQuery).where(
        DataQuery.entity == "log_entry", DataQuery.entity_id == entry_id)
        .order_by(DataQuery.id)))


def open_counts(session: Session) -> dict[int, dict[str, int]]:
    """Per child id, how many queries are open and how many answered (not closed)."""
    counts: dict[int, dict[str, int]] = {}
    for pid, status, n in session.execute(
            select(DataQuery.participant_id, DataQuery.status, func.count())
            .where(DataQuery.status.in_(PENDING))
            .group_by(DataQuery.participant_id, DataQuery.status)):
        counts.setdefault(pid, {})[status] = n
    return counts


def pending_counts(session: Session) -> dict[str, int]:
    """How many queries are open (to answer) and answered (to close): one statement."""
    found = dict(session.execute(
        select(DataQuery.status, func.count()).where(DataQuery.status.in_(PENDING))
        .group_by(DataQuery.status)).all())
    return {status: found.get(status, 0) for status in PENDING}


def _records(session: Session, queries: Iterable[DataQuery]) -> dict[tuple[str, int], Any]:
    """The records the queries ask about: one statement per kind of record, always (so a page
    runs the same statements whatever its rows ask about); the enrolment is the child itself."""
    wanted: dict[str, set[int]] = {entity: set() for entity in LOADS}
    for query in queries:
        if query.entity in wanted:
            wanted[query.entity].add(query.entity_id)
    found: dict[tuple[str, int], Any] = {}
    for entity, statement in LOADS.items():
        model = statement.column_descriptions[0]["entity"]
        ids = sorted(wanted[entity])
        for record in session.scalars(statement.where(model.id.in_(ids))).unique():
            found[(entity, record.id)] = record
    return found


LOADS: dict[str, Any] = {
    "result": select(Result).options(joinedload(Result.visit)),
    "visit": select(Visit),
    "infusion": select(Infusion),
    "log_entry": select(LogEntry),
}


def _rows(session: Session, pairs: Sequence[Any]) -> list[QueryRow]:
    records = _records(session, (q for q, _ in pairs))
    return [QueryRow(query=q, participant=p,
                     record=p if q.entity == "participant" else records.get((q.entity,
                                                                             q.entity_id)))
            for q, p in pairs]


@dataclass(frozen=True)
class QueryList:
    """One page of the list: its rows, how many match in all, the page and the last page."""

    rows: list[QueryRow]
    total: int
    page: int
    pages: int


def query_list(session: Session, statuses: Sequence[str] | None = None,
               code: str | None = None, page: int = 1, page_size: int = PAGE_SIZE) -> QueryList:
    """The queries in some statuses (None: all) of the children whose code holds `code`,
    newest first, one page at a time: six statements."""
    where = []
    if statuses is not None:
        where.append(DataQuery.status.in_(statuses))
    if code:
        where.append(code_holds(code))
    base = select(DataQuery, Participant).join(
        Participant, Participant.id == DataQuery.participant_id).where(*where)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    pairs = session.execute(base.order_by(DataQuery.id.desc())
                            .offset((page - 1) * page_size).limit(page_size)).all()
    return QueryList(rows=_rows(session, pairs), total=total, page=page, pages=pages)


def waiting(session: Session, statuses: Sequence[str], limit: int = 50) -> list[QueryRow]:
    """The queries waiting in these statuses, oldest first (the worklist's section)."""
    if not statuses:
        return []
    pairs = session.execute(
        select(DataQuery, Participant).join(Participant,
                                            Participant.id == DataQuery.participant_id)
        .where(DataQuery.status.in_(statuses)).order_by(DataQuery.id).limit(limit)).all()
    return _rows(session, pairs)


@dataclass(frozen=True)
class QueryPage:
    """One query, its child, the record it asks about and its thread: the query's audit rows
    and those of the value it asks about, oldest first."""

    row: QueryRow
    trail: list[FieldChange]


def query_page(session: Session, query_id: int) -> QueryPage | None:
    """A query with what its page shows; None for no such query. Six statements."""
    pair = session.execute(
        select(DataQuery, Participant).join(Participant,
                                            Participant.id == DataQuery.participant_id)
        .where(DataQuery.id == query_id)).first()
    if pair is None:
        return None
    query = pair[0]
    fields = _fields(query)
    trail = thread_rows(query, field_changes(session.scalars(select(AuditEvent).where(or_(
        and_(AuditEvent.entity == "data_query", AuditEvent.entity_id == query.id),
        and_(AuditEvent.entity == query.entity, AuditEvent.entity_id == query.entity_id,
             or_(AuditEvent.field.in_(fields), AuditEvent.field.is_(None)),
             AuditEvent.id > _first_row(query)),
    )).order_by(AuditEvent.id))))
    return QueryPage(row=_rows(session, [pair])[0], trail=trail)


def _fields(query: DataQuery) -> tuple[str, ...]:
    return RESULT_VALUE_FIELDS if query.entity == "result" else (query.field,)


def thread_rows(query: DataQuery, changes: list[FieldChange]) -> list[FieldChange]:
    """Of a trail's changes (oldest first), the query's thread: its own, and those of the value
    it asks about from its raising on (a delete row holds all of a record's fields: only those
    the query asks about are kept)."""
    own = [c.id for c in changes if c.entity == "data_query" and c.entity_id == query.id]
    first = min(own, default=0)
    fields = _fields(query)
    return [c for c in changes
            if (c.entity == "data_query" and c.entity_id == query.id)
            or (c.entity == query.entity and c.entity_id == query.entity_id
                and c.field in fields and c.id > first)]


def _first_row(query: DataQuery) -> Any:
    """The id of the query's first audit row: the value's changes before it are not its
    thread."""
    first = aliased(AuditEvent)
    return select(func.min(first.id)).where(
        first.entity == "data_query", first.entity_id == query.id).scalar_subquery()


MODELS: dict[str, type] = {"result": Result, "participant": Participant, "infusion": Infusion,
                           "log_entry": LogEntry, "visit": Visit}


def load_record(session: Session, entity: str, entity_id: int) -> Any:
    """The record a query would ask about, by its name in the audit trail; None if none."""
    model = MODELS.get(entity)
    return None if model is None else session.get(model, entity_id)
