"""Source data verification and the investigator's signature of a child's casebook.

A monitor marks a record (a done visit with its results, a log entry, the enrolment, an
infusion) as checked against the source; an investigator signs the casebook by typing their
password again, once every query on it is closed. What undoes either (a later change of the
data) is written by edc.audit in the same flush as the change, never here.
"""

from __future__ import annotations

from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from edc.models import (
    AuditChange,
    DataQuery,
    Infusion,
    LogEntry,
    Participant,
    Signature,
    User,
    Verification,
    Visit,
    utcnow,
)
from edc.protocol.codes import QueryStatus, VisitStatus
from edc.services.accounts import (
    clear_failures,
    count_failure,
    password_matches,
    refuse_if_locked,
)
from edc.services.base import GENERAL, N_, Changed, Context, Refused, audited, saving

# The records a monitor verifies, as the audit trail names them.
VERIFIABLE = ("participant", "infusion", "visit", "log_entry")
_MODELS = {"participant": Participant, "infusion": Infusion, "visit": Visit,
           "log_entry": LogEntry}


def _record(ctx: Context, participant: Participant, entity: str, entity_id: int) -> object:
    """The child's record to verify, or Refused saying why it cannot be verified."""
    if entity not in _MODELS:
        raise Refused({GENERAL: [_("Got record type %(got)r. Expected one of: %(types)s.",
                                   got=entity, types=", ".join(VERIFIABLE))]})
    record = ctx.session.get(_MODELS[entity], entity_id)
    owner = getattr(record, "participant_id", getattr(record, "id", None))
    if record is None or owner != participant.id:
        raise Refused({GENERAL: [_("%(code)s has no such record.", code=participant.code)]})
    if isinstance(record, Visit) and record.status != VisitStatus.DONE:
        raise Refused({GENERAL: [_("Visit %(visit)s is not done: only a done visit with its "
                                   "results can be verified.", visit=record.code)]})
    if isinstance(record, LogEntry) and record.removed_reason is not None:
        raise Refused({GENERAL: [_("This entry was removed; there is nothing to verify.")]})
    return record


def verify(ctx: Context, participant: Participant, entity: str, entity_id: int,
           expected_version: int | None) -> Verification:
    """Mark a record's values as verified against the source (a cleared mark is renewed).

    expected_version is the record's version the monitor looked at: a record changed since
    is refused, so a mark never covers values nobody checked."""
    session = ctx.session
    record = _record(ctx, participant, entity, entity_id)
    # A form without the version is treated as stale: a mark only covers values seen.
    if record.version != expected_version:  # type: ignore[attr-defined]
        session.rollback()
        raise Changed({GENERAL: [_(
            "This record was changed after you opened the page. Nothing was marked: read "
            "the values again and mark them verified then.")]})
    mark = session.scalars(select(Verification).where(
        Verification.entity == entity, Verification.entity_id == entity_id)).first()
    if mark is not None and mark.cleared_at is None:
        raise Refused({GENERAL: [_("%(who)s verified this record already (%(when)s).",
                                   who=mark.verified_by,
                                   when=format_datetime(mark.verified_at, "short"))]})
    with audited(session, ctx.actor.username, N_("Verified against the source")), saving(
            session, mark or record, _("The verification")):
        if mark is None:
            mark = Verification(participant_id=participant.id, entity=entity,
                                entity_id=entity_id, verified_by=ctx.actor.username)
            session.add(mark)
        else:
            mark.verified_by, mark.verified_at = ctx.actor.username, utcnow()
            mark.cleared_at = mark.cleared_reason = None
        session.commit()
    return mark


def casebook_version(ctx: Context, participant: Participant) -> int:
    """The casebook as a page showed it: the newest audit row of the child's records."""
    return ctx.session.scalar(select(func.max(AuditChange.id)).where(
        AuditChange.participant_id == participant.id)) or 0


def _check_password(ctx: Context, password: str) -> None:
    """The signer's own password, counted like a log-in: repeated failures lock the account."""
    session = ctx.session
    user = session.scalars(select(User).where(User.username == ctx.actor.username)).first()
    now = utcnow()
    if user is None:
        raise Refused({"password": [_("Only a person with an account can sign.")]})
    refuse_if_locked(user, now, "password")
    if not password_matches(user, password):
        count_failure(session, user, user.username, N_("Wrong password at signing"), now,
                      "password", _("This is not your password. Nothing was signed."))
    clear_failures(session, user, N_("Password confirmed at signing"))


def meaning_text(ctx: Context) -> str:
    """The meaning of the signature as it is kept: both languages, as forms/study.toml says."""
    words = ctx.study.signature
    return f"{words.meaning}\n{words.meaning_zh}"


def sign_casebook(ctx: Context, participant: Participant, password: str, confirmed: bool,
                  expected_version: int | None) -> Signature:
    """Sign the child's casebook: every query closed, the meaning confirmed, the password typed
    again; the signature prints the signer's name as their account holds it, never one typed
    at signing. expected_version is casebook_version as the signing page showed it."""
    session = ctx.session
    errors: dict[str, list[str]] = {}
    printed_name = getattr(ctx.actor, "full_name", None)
    if not printed_name:
        errors.setdefault(GENERAL, []).append(_(
            "Your account holds no full name for the signature to print. Ask an administrator "
            "to enter it on the Users page, then sign."))
    if not confirmed:
        errors["confirmed"] = [_("Tick the box to confirm what your signature means.")]
    if not password:
        errors["password"] = [_("Type your password to sign.")]
    open_queries = session.scalar(select(func.count()).select_from(DataQuery).where(
        DataQuery.participant_id == participant.id, DataQuery.status != QueryStatus.CLOSED))
    if open_queries:
        errors.setdefault(GENERAL, []).append(ngettext(
            "%(num)s query on this casebook is not closed: it cannot be signed until every "
            "query is closed.",
            "%(num)s queries on this casebook are not closed: it cannot be signed until every "
            "query is closed.", open_queries))
    in_force = session.scalars(select(Signature).where(
        Signature.participant_id == participant.id, Signature.voided_at.is_(None))).first()
    if in_force is not None:
        errors.setdefault(GENERAL, []).append(_(
            "%(who)s signed this casebook already (%(when)s).", who=in_force.signed_by,
            when=format_datetime(in_force.signed_at, "short")))
    if casebook_version(ctx, participant) != expected_version:  # none given: stale too
        raise Changed({GENERAL: [_(
            "The casebook was changed after you opened this page. Nothing was signed: read it "
            "again before you sign.")]})
    if errors:
        raise Refused(errors)
    _check_password(ctx, password)
    with audited(session, ctx.actor.username, N_("Casebook signed")):
        signature = Signature(participant_id=participant.id, signed_by=ctx.actor.username,
                              printed_name=printed_name, meaning=meaning_text(ctx),
                              signed_at=utcnow())
        session.add(signature)
        session.commit()
    return signature

