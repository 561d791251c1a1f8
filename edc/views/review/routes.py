"""A child's source data verification, the investigator's signature of the casebook, and the
printable casebook; the small parts other pages include (a record's mark and its button, the
progress, the signature's state) read through the globals registered here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from edc import db
from edc.models import utcnow
from edc.permissions import Action
from edc.read import deviations as deviation_reads
from edc.read import review as reads
from edc.read.review import Review
from edc.services import Changed, Refused
from edc.services.review import meaning_text, sign_casebook, verify
from edc.views.filters import term
from edc.views.history_words import saves
from edc.views.review.forms import SignForm, VerifyForm
from edc.views.review.words import cleared_words, record_words, voided_words
from edc.views.shared import (
    attach_errors,
    context,
    local_path,
    permission_required,
    results_definition,
)

bp = Blueprint("review", __name__, url_prefix="/participants")


def _review_or_404(participant_id: int) -> Review:
    found = reads.child_review(db.session(), participant_id)
    if found is None:
        abort(404)
    return found


def _safe_back(target: str | None, participant_id: int) -> str:
    """The page to go back to: a path of this site, else the child's verification page."""
    return local_path(target) or url_for("review.verification", participant_id=participant_id)


@bp.route("/<int:participant_id>/verification")
@permission_required(Action.VIEW)
def verification(participant_id: int) -> Any:
    """Every verifiable record of the child with its mark, and the progress."""
    found = _review_or_404(participant_id)
    return render_template("review/verification.html", p=found.participant, review=found,
                           cleared=lambda mark: cleared_words(found, mark))


@bp.route("/<int:participant_id>/verify", methods=["POST"])
@permission_required(Action.VERIFY_SOURCE)
def mark_verified(participant_id: int) -> Any:
    found = _review_or_404(participant_id)
    form = VerifyForm()
    back = _safe_back(form.back.data, participant_id)
    if not form.validate_on_submit():
        flash(_("The verification could not be read. Reload the page and try again."), "error")
        return redirect(back)
    try:
        verify(context(), found.participant, form.entity.data, form.entity_id.data,
               form.expected_version())
    except Refused as refused:
        for message in refused.messages:
            flash(message, "error")
        return redirect(back)
    flash(_("Marked as verified against the source."), "success")
    return redirect(back)


@bp.route("/<int:participant_id>/sign", methods=["GET", "POST"])
@permission_required(Action.SIGN_CASEBOOK)
def sign(participant_id: int) -> Any:
    """Sign the casebook: its meaning, the signer's name as the account holds it, the password
    again."""
    found = _review_or_404(participant_id)
    form = SignForm()
    general: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                sign_casebook(context(), found.participant, form.password.data or "",
                              bool(form.confirmed.data), form.expected_version())
            except Refused as refused:
                general = attach_errors(form, refused)
                status = 409 if isinstance(refused, Changed) else 422
                if isinstance(refused, Changed):
                    found = _review_or_404(participant_id)
                    form.version.data = str(found.version)
            else:
                flash(_("The casebook of %(code)s is signed.", code=found.participant.code),
                      "success")
                return redirect(url_for("participants.detail", participant_id=participant_id))
        else:
            status = 422
    else:
        form.version.data = str(found.version)
    return render_template("review/sign.html", p=found.participant, review=found, form=form,
                           general=general, meaning=meaning_text(context()).split("\n"),
                           voided=lambda s: voided_words(found, s)), status


@bp.route("/<int:participant_id>/casebook")
@permission_required(Action.VIEW)
def casebook(participant_id: int) -> Any:
    """The child's casebook, printable: every form, query, mark, signature and the trail."""
    book = reads.casebook(db.session(), participant_id)
    if book is None:
        abort(404)
    review = book.review
    participant = review.participant
    trail = saves(book.trail, results_definition(), term,
                  visit_codes={v.id: v.code for v in participant.visits})
    return render_template(
        "review/casebook.html", p=participant, book=book, review=review, saves=trail,
        fields={f.key: f for f in results_definition().fields},
        printed=utcnow(), cleared=lambda mark: cleared_words(review, mark),
        voided=lambda s: voided_words(review, s),
        target=lambda q: record_words(review, q.entity, q.entity_id, q.field),
        record_of=lambda q: _record_of(participant, book.entries, q.entity, q.entity_id),
        computed=deviation_reads.of_child(participant.code, participant.infusions,
                                          participant.visits))


def _record_of(participant: Any, entries: list[Any], entity: str, entity_id: int) -> Any:
    """The record a query asks about, among those the casebook has read (None if gone)."""
    found: list[Any] = {
        "participant": [participant], "infusion": list(participant.infusions),
        "visit": list(participant.visits), "log_entry": entries,
        "result": [r for v in participant.visits for r in v.results]}.get(entity, [])
    return next((r for r in found if r.id == entity_id), None)


def _progress(ids: Any) -> dict[int, reads.Progress]:
    """The verification progress of the children a page lists (ids), read once a request."""
    if "review_progress" not in g:
        g.review_progress = reads.progress_by_child(db.session(), list(ids))
    return g.review_progress


def _loaded(participant: Any, entries: Any = (), signatures: bool = True) -> Review:
    """The marks (and signatures) of a child the page has loaded, with the page's log entries
    (a list, or the participant page's entries by form)."""
    if isinstance(entries, dict):
        entries = [entry for rows in entries.values() for entry in rows]
    return reads.marks_of(db.session(), participant, list(entries), signatures=signatures)


# The worklist shows the first of the casebooks to sign; the rest are counted.
WORKLIST_ROWS = 20


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    """What the small parts on other pages read: each only when a page includes it."""
    return {
        "casebooks_to_sign": lambda: reads.to_sign(db.session(), WORKLIST_ROWS),
        "review_progress": _progress,
        "review_of": _loaded,
        "review_cleared": lambda review, mark: cleared_words(review, mark),
        "review_voided": lambda review, s: voided_words(review, s),
    }
