"""Record that data left the app: every export is itself in the audit trail."""

from __future__ import annotations

from edc.models import AuditEvent, utcnow
from edc.protocol.codes import AuditAction
from edc.services.base import Context


def record_export(ctx: Context, kind: str, file_name: str, *, unblinded: bool) -> None:
    """Write who exported which format to which file, and whether it held the arm."""
    ctx.session.add(AuditEvent(
        at=utcnow(), username=ctx.actor.username, action=AuditAction.EXPORT, entity="export",
        field=kind, new=file_name, reason="unblinded" if unblinded else "blinded"))
    ctx.session.commit()
