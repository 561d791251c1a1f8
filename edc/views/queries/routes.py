"""The queries' pages: the list, one query (answer, close, re-open), raising one on a value;
and what other pages show of them (a mark on a value, counts, the role's waiting queries)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from edc import db
from edc.models import DataQuery, Participant
from edc.permissions import Action, may
from edc.protocol.codes import QueryStatus
from edc.read import participants as participant_reads
from edc.read import queries as reads
from edc.services import Changed, Refused
from edc.services import queries as services
from edc.services.queries import query_fields, query_text, status_word
from edc.views.fields import clean_text, typed_code
from edc.views.queries.forms import AnswerForm, CloseForm, RaiseForm, ReopenForm
from edc.views.queries.words import (
    choices,
    current_value,
    field_words,
    page_url,
    thread,
    value_name,
    where,
)
from edc.views.shared import (
    attach_errors,
    context,
    local_path,
    page_number,
    permission_required,
)

bp = Blueprint("queries", __name__, url_prefix="/queries")


def waiting_statuses(role: str) -> tuple[str, ...]:
    """The statuses a role acts on: open ones to answer, answered ones to close."""
    statuses = []
    if may(role, Action.ANSWER_QUERY):
        statuses.append(QueryStatus.OPEN)
    if may(role, Action.RAISE_QUERY):
        statuses.append(QueryStatus.ANSWERED)
    return tuple(statuses)


def _waiting_count() -> int:
    """How many queries wait for the reader (the header's count): one statement, for every
    role alike, so that a page runs the same statements whoever reads it; read once per page
    (the header and the worklist both show it)."""
    if "query_waiting_count" not in g:
        counts = reads.pending_counts(db.session())
        g.query_waiting_count = sum(counts[s] for s in waiting_statuses(current_user.role))
    return g.query_waiting_count


# The worklist shows the oldest of the queries waiting for the reader; the queries page, all.
WORKLIST_ROWS = 20


def _waiting_rows() -> list[reads.QueryRow]:
    return reads.waiting(db.session(), waiting_statuses(current_user.role), limit=WORKLIST_ROWS)


def _waiting_filter() -> str:
    """The queries page's status filter that lists what waits for the reader: the one status
    their role acts on, or both still pending."""
    statuses = waiting_statuses(current_user.role)
    return statuses[0].value if len(statuses) == 1 else "pending"


class Marks:
    """The queries of a page's values, by value: what the marks beside them show."""

    def __init__(self, queries: list[DataQuery]) -> None:
        self.queries = queries
        self.pending = [q for q in queries if q.status != QueryStatus.CLOSED]

    def on(self, entity: str, entity_id: int, field: str | None = None) -> list[DataQuery]:
        """The queries not closed on a value (on any value of the record without a field)."""
        return [q for q in self.pending if q.entity == entity and q.entity_id == entity_id
                and (field is None or q.field == field)]

    def count(self, status: str) -> int:
        return sum(1 for q in self.queries if q.status == status)


def _child_marks(participant_id: int) -> Marks:
    return Marks(reads.child_queries(db.session(), participant_id))


def _raise_form(entity: str, record: Any, field: str | None = None) -> RaiseForm:
    """A form to raise a query on a record's value (one value, or a choice of them)."""
    form = RaiseForm(formdata=None)
    form.entity.data, form.entity_id.data = entity, str(record.id)
    form.field.choices = choices(entity, record, query_fields(context(), entity, record))
    if field is not None:
        form.field.data = field
    form.next.data = request.full_path if request.method == "GET" else ""
    return form


def _steps(query: DataQuery, participant: Participant, record: Any,
           changes: list[Any]) -> list[Any]:
    """A query's thread in words, from a trail the page has read already (the casebook's)."""
    return thread(reads.QueryPage(row=reads.QueryRow(query, participant, record),
                                  trail=reads.thread_rows(query, changes)))


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"query_waiting_count": _waiting_count, "query_waiting": _waiting_rows,
            "query_waiting_filter": _waiting_filter, "query_steps": _steps,
            "query_marks": _child_marks, "query_raise_form": _raise_form,
            "query_text": query_text, "query_status": status_word,
            "query_value": value_name, "query_url": page_url,
            "query_field": field_words}


def _participant_or_404(participant_id: int) -> Participant:
    participant = participant_reads.load_participant(db.session(), participant_id)
    if participant is None:
        abort(404)
    return participant


@bp.route("")
@permission_required(Action.VIEW)
def index() -> Any:
    """The queries, a page at a time, filtered by status and by participant code; an argument
    that names nothing is said, with the list shown as it opens."""
    problems: list[str] = []
    status = clean_text(request.args.get("status", "")).strip() or "pending"
    code = typed_code(request.args.get("code", ""))
    statuses: dict[str, tuple[str, ...] | None] = {
        "pending": reads.PENDING, "all": None, **{s.value: (s.value,) for s in QueryStatus}}
    if status not in statuses:
        words = [_("waiting (open or answered)"), _("all"),
                 *(status_word(s.value) for s in QueryStatus)]  # as the filter names them
        problems.append(_("Got status %(typed)s. Expected one of: %(statuses)s. The waiting "
                          "queries are shown.", typed=repr(status[:40]),
                          statuses=_(", ").join(words)))
        status = "pending"
    page = page_number(request.args.get("page", ""), problems)
    listed = reads.query_list(db.session(), statuses=statuses[status], code=code, page=page)
    if listed.page != page:  # past the last page: the list has shrunk, or a typing error
        problems.append(_("Got page %(page)s. Expected a page from 1 to %(pages)s. The first "
                          "page is shown.", page=page, pages=listed.pages))
        listed = reads.query_list(db.session(), statuses=statuses[status], code=code)
    return render_template("queries/index.html", listed=listed, status=status, code=code,
                           statuses=list(statuses), problems=problems), 400 if problems else 200


def _safe_next(text: str | None) -> str | None:
    """A page of this site to go back to (never another site's)."""
    return local_path(text)


def _number(text: Any) -> int | None:
    text = str(text or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Action.RAISE_QUERY)
def new() -> Any:
    """Raise a query: the form beside a value posts here; a refusal comes back here, with what
    was typed kept."""
    source = request.form if request.method == "POST" else request.args
    entity, entity_id = source.get("entity", ""), _number(source.get("entity_id"))
    record = reads.load_record(db.session(), entity, entity_id) if entity_id else None
    if record is None:
        abort(404)
    participant = _participant_or_404(record.id if entity == "participant"
                                      else record.participant_id)
    fields = query_fields(context(), entity, record)
    form = RaiseForm()
    form.entity.data, form.entity_id.data = entity, str(entity_id)
    form.field.choices = choices(entity, record, fields)
    general: list[str] = []
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            raised = services.raise_query(context(), participant, entity, entity_id,
                                          form.field.data or "", form.text.data or "")
        except Refused as refused:
            general = attach_errors(form, refused)
            status = 409 if isinstance(refused, Changed) else 422
        else:
            flash(_("Query %(n)s is raised on %(value)s.", n=raised.id,
                    value=value_name(raised, record)), "success")
            return redirect(_safe_next(form.next.data)
                            or url_for("queries.query", query_id=raised.id))
    elif request.method == "POST":
        status = 422
    elif not form.field.data and "field" in request.args:
        form.field.data = request.args["field"]
    return render_template("queries/new.html", p=participant, form=form, record=record,
                           entity=entity, general=general,
                           where=where(DataQuery(entity=entity), record)), status


def _query_or_404(query_id: int) -> reads.QueryPage:
    found = reads.query_page(db.session(), query_id)
    if found is None:
        abort(404)
    return found


def _query_page(found: reads.QueryPage, general: list[str] | None = None,
                answer_form: AnswerForm | None = None, reopen_form: ReopenForm | None = None,
                status: int = 200) -> Any:
    query = found.row.query
    answer_form = answer_form or AnswerForm(formdata=None)
    reopen_form = reopen_form or ReopenForm(formdata=None)
    close_form = CloseForm(formdata=None)
    for form in (answer_form, reopen_form, close_form):
        form.version.data = str(query.version)
    return render_template(
        "queries/query.html", row=found.row, q=query, p=found.row.participant,
        steps=thread(found), general=general or [], answer_form=answer_form,
        reopen_form=reopen_form, close_form=close_form,
        value=current_value(query, found.row.record),
        value_name=value_name(query, found.row.record),
        value_url=page_url(query, found.row.record)), status


@bp.route("/<int:query_id>")
@permission_required(Action.VIEW)
def query(query_id: int) -> Any:
    return _query_page(_query_or_404(query_id))


def _act(query_id: int, form: Any, act: Any, done: str) -> Any:
    """Validate a form of the query page and call its service; back to the page either way."""
    found = _query_or_404(query_id)
    general: list[str] = []
    status = 422
    if form.validate_on_submit():
        try:
            act(found.row.query, form)
        except Refused as refused:
            general = attach_errors(form, refused)
            status = 409 if isinstance(refused, Changed) else 422
            found = _query_or_404(query_id)
        else:
            flash(done, "success")
            return redirect(url_for("queries.query", query_id=query_id))
    forms = {"answer_form": form} if isinstance(form, AnswerForm) else (
        {"reopen_form": form} if isinstance(form, ReopenForm) else {})
    return _query_page(found, general, status=status, **forms)


@bp.route("/<int:query_id>/answer", methods=["POST"])
@permission_required(Action.ANSWER_QUERY)
def answer(query_id: int) -> Any:
    return _act(query_id, AnswerForm(), lambda q, f: services.answer_query(
        context(), q, f.answer.data or "", expected_version=f.expected_version()),
        _("The query is answered."))


@bp.route("/<int:query_id>/close", methods=["POST"])
@permission_required(Action.RAISE_QUERY)
def close(query_id: int) -> Any:
    return _act(query_id, CloseForm(), lambda q, f: services.close_query(
        context(), q, expected_version=f.expected_version()), _("The query is closed."))


@bp.route("/<int:query_id>/reopen", methods=["POST"])
@permission_required(Action.RAISE_QUERY)
def reopen(query_id: int) -> Any:
    return _act(query_id, ReopenForm(), lambda q, f: services.reopen_query(
        context(), q, f.reason.data or "", expected_version=f.expected_version()),
        _("The query is open again."))
