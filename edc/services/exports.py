"""Record that data left the app: every export is itself in the audit trail."""

from __future__ import annotations

from edc.audit import record_event
from edc.protocol.codes import AuditAction
from edc.services.base import Context


def record_export(ctx: Context, kind: str, file_name: str, *, unblinded: bool) -> None:
    """Write who exported which format to which file, and whether it held the arm."""
    record_event(ctx.session, ctx.actor.username, "unblinded" if unblinded else "blinded",
                 action=AuditAction.EXPORT, entity="export", field=kind, new=file_name)
    ctx.session.commit()
