"""The outcome summary per follow-up visit: pooled for every blinded role, by arm only for the
unblinded one; the definitions it uses come from forms/outcomes.toml. The exports page: every
format of edc.exports as a download, written to a temporary file as it is read (memory stays
flat), recorded in the audit trail, with the arm only for the unblinded role."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, render_template, send_file
from flask_login import current_user

from edc import db, exports
from edc.models import utcnow
from edc.permissions import Action
from edc.read import blinding
from edc.read.outcome_summary import outcome_summary
from edc.rules.outcome_summary import Proportion, VisitSummary
from edc.services.exports import record_export
from edc.views.shared import clock, context, permission_required, results_definition, study

bp = Blueprint("reports", __name__)

MEASURES = ("complete", "partial", "no_remission", "hematuria", "renal", "not_assessable",
            "missing")


def _summary() -> Any:
    return outcome_summary(db.session(), current_user.role,
                           [v.code for v in study().schedule.visits], results_definition(),
                           study().outcomes, clock())


@bp.route("/outcomes")
@permission_required(Action.VIEW_OUTCOMES)
def outcomes() -> Any:
    return render_template("reports/outcomes.html", summary=_summary(), measures=MEASURES,
                           definitions=study().outcomes, today=clock())


def _cells(proportion: Proportion) -> list[str]:
    interval = proportion.interval
    share = proportion.share
    return [str(proportion.x), str(proportion.n),
            "" if share is None else f"{share:.4f}",
            "" if interval is None else f"{interval[0]:.4f}",
            "" if interval is None else f"{interval[1]:.4f}"]


def _lines(groups: list[tuple[str, list[VisitSummary]]]) -> Iterator[str]:
    header = ["group", "visit", "due", "with_data"] + [
        f"{measure}_{part}" for measure in MEASURES
        for part in ("x", "n", "proportion", "wilson95_low", "wilson95_high")]
    for rows in ([header], *([[group, s.code, str(s.due), str(s.with_data),
                               *[cell for m in MEASURES for cell in _cells(getattr(s, m))]]
                              for s in summaries] for group, summaries in groups)):
        for row in rows:
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerow(row)
            yield text.getvalue()


@bp.post("/outcomes.csv")
@permission_required(Action.VIEW_OUTCOMES)
def outcomes_csv() -> Any:
    """The summary as a file: by arm for the unblinded role (named so, like every unblinded
    export), recorded in the audit trail like the other exports."""
    summary = _summary()
    groups = [("pooled", summary.pooled), *sorted((summary.by_arm or {}).items())]
    by_arm = blinding.sees_allocation(current_user.role)
    name = (f"{study().info.id}-outcomes{'-unblinded' if by_arm else ''}-"
            f"{utcnow().strftime('%Y%m%dT%H%M%SZ')}.csv")
    record_export(context(), "outcomes", name, unblinded=by_arm)
    return Response(_lines(groups), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


MIMETYPES = {"zip": "application/zip", "csv": "text/csv", "xml": "application/xml"}


@bp.route("/exports")
@permission_required(Action.EXPORT_DATA)
def exports_page() -> Any:
    return render_template("reports/exports.html", formats=exports.FORMATS,
                           unblinded=blinding.sees_allocation(current_user.role))


@bp.post("/exports/<kind>")
@permission_required(Action.EXPORT_DATA)
def download(kind: str) -> Any:
    if kind not in exports.FORMATS:
        abort(404)
    ctx = context()
    at = utcnow()
    name = exports.file_name(ctx.study, kind, current_user.role, at)
    # On disk, not in memory, whatever the size of the trial; removed once it is sent.
    file = tempfile.TemporaryFile()
    exports.write(ctx.session, ctx.study, kind, current_user.role, file, at)
    record_export(ctx, kind, name, unblinded=blinding.sees_allocation(current_user.role))
    file.seek(0)
    response = send_file(file, mimetype=MIMETYPES[exports.FORMATS[kind].extension],
                         as_attachment=True, download_name=name)
    # Nothing of the trial's data is kept by the browser or a proxy on the way (send_file
    # would only ask them to check again before using a kept copy).
    response.headers["Cache-Control"] = "no-store"
    return response
