"""The `edc` command: init, serve, demo, grow, create-user, unlock-user, lift-wait,
reset-password, deactivate-user, reactivate-user, lock, unlock, schedule, allocation load, backup,
restore, check, export."""

from __future__ import annotations

import gc
import getpass
import json
import sys
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from edc import db
from edc.app import context_for, create_app
from edc.permissions import Role
from edc.protocol.study import StudyDefinitionError
from edc.rules.schedule import plan_visits
from edc.services import Context, Operator, Refused, refresh_results_missing
from edc.services.accounts import LOCKOUT, MAX_FAILED_LOGINS

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                 "ten")


def _in_words(n: int) -> str:
    """A small count in words (as English prose writes it), a larger one in digits."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def _context() -> Context:
    """The context of a command: who ran it (as the audit trail names them) and today."""
    return context_for(Operator(f"cli:{getpass.getuser()}"))


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def _refused(refused: Refused) -> None:
    _fail(" ".join(refused.messages))


def _shown_url() -> str:
    return db.engine().url.render_as_string(hide_password=True)


def _create_app() -> Flask:
    """The app; a broken study definition stops here with a one-line message."""
    try:
        app = create_app()
    except StudyDefinitionError as error:
        _fail(str(error))
        raise
    # Close the database connections when the command ends, not whenever Python collects them.
    click.get_current_context().call_on_close(app.extensions["edc_engine"].dispose)
    return app


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def main() -> None:
    """Follow-up scheduling and data capture for trial NCT06731192."""


@main.command()
def init() -> None:
    """Create the database, or upgrade it to the newest schema."""
    db.upgrade(current_app.config["DATABASE_URL"])
    # What follows from forms/ and is kept in rows: worked out again for these forms.
    refresh_results_missing(db.session(), current_app.extensions["edc_study"])
    click.echo(f"Database ready: {_shown_url()}")


# Waitress's worker threads, chosen under load (`python -m tests.load.sweep`: 50 nurses, 200
# children, 80 % reads / 20 % writes, 2 CPUs shared with the nurses' client), requests/s of the
# work and its slowest page's p95: 2 threads 80-85/s, 0.7 s; 3 83/s, 0.7 s; 4 77-81/s, 0.7 s;
# 8 71-73/s, 0.8-1.0 s; 16 64/s, 1.5 s. The pages are Python work under one interpreter lock, so
# threads beyond a few only take turns at it (a longer switch interval, 20 ms, changed nothing);
# 4 keep a long download (an export) from holding up the nurses.
THREADS = 4


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=THREADS, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the app with waitress."""
    serve_app(current_app._get_current_object(), host, port, threads)


def serve_app(app: Flask, host: str, port: int, threads: int = THREADS) -> None:
    """Serve app with waitress until stopped, once its database is at the newest schema."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with app.app_context():
        with db.engine().connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        shown = _shown_url()
    head = ScriptDirectory.from_config(db.alembic_config("")).get_current_head()
    if current != head:
        _fail(f"The database is at schema {current or 'none'}, the code needs {head}. "
              "Run `edc init` first.")
    with app.app_context():
        # The forms may have changed since `edc init` (an amendment made a result required).
        refresh_results_missing(db.session(), app.extensions["edc_study"])
    import waitress

    settle(app)
    click.echo(f"Serving {app.extensions['edc_study'].info.id} on http://{host}:{port}/ "
               f"(database {shown}). Stop with Ctrl+C.")
    waitress.serve(app, host=host, port=port, threads=threads, **waitress_options(app))


def settle(app: Flask) -> None:
    """Compile every template now, then move everything the start-up made out of the garbage
    collector's sight: it lives as long as the server, and a full collection would otherwise walk
    it again and again in the middle of requests (a tenth of a page's time, measured)."""
    for name in app.jinja_env.list_templates():
        app.jinja_env.get_template(name)
    gc.collect()
    gc.freeze()


def waitress_options(app: Flask) -> dict[str, object]:
    """Behind a trusted proxy (EDC_PROXY_HOPS), waitress passes its X-Forwarded headers on for
    the app to read (it drops them otherwise)."""
    return {"clear_untrusted_proxy_headers": False} if app.config.get("PROXY_HOPS") else {}


@main.command("create-user")
@click.argument("username")
@click.option("--role", required=True,
              type=click.Choice([role.value for role in Role]))
@click.option("--name", "full_name", default="",
              help="The person's full name, as a signature prints it (an investigator needs "
                   "it to sign).")
def create_user(username: str, role: str, full_name: str) -> None:
    """Create an account with a temporary password (its person chooses their own at the first
    log-in); the password is prompted for, or read from standard input."""
    from edc.services.accounts import create_user as create

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        create(_context(), username, role, password, full_name, temporary=True)
    except Refused as refused:
        _refused(refused)
    click.echo(f"Created {role} {username}: give its person the password, which they replace "
               "with their own at the first log-in.")


@main.command("unlock-user", help=(
    f"Lift the {int(LOCKOUT.total_seconds() // 60)}-minute lock-out after "
    f"{_in_words(MAX_FAILED_LOGINS)} wrong passwords at signing, and the wait of a user name "
    "after failed log-ins from other computers."))
@click.argument("username")
def unlock_user(username: str) -> None:
    from edc.services.accounts import unlock

    try:
        unlock(_context(), username)
    except Refused as refused:
        _refused(refused)
    click.echo(f"Unlocked {username}.")


def _new_password() -> str:
    """A password prompted for twice, or read from standard input."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@main.command("reset-password")
@click.argument("username")
def reset_password(username: str) -> None:
    """Give an account a temporary password (any account: an unblinded one's only here); the
    password is prompted for, or read from standard input."""
    from edc.services.accounts import account
    from edc.services.accounts import reset_password as reset

    ctx = _context()
    try:
        reset(ctx, account(ctx, username), _new_password())
    except Refused as refused:
        _refused(refused)
    click.echo(f"Reset the password of {username}: give its person the temporary password.")


def _set_active(username: str, active: bool, reason: str) -> None:
    from edc.services.accounts import account, set_active

    ctx = _context()
    try:
        set_active(ctx, account(ctx, username), active, reason)
    except Refused as refused:
        _refused(refused)


@main.command("deactivate-user")
@click.argument("username")
@click.option("--reason", required=True, help="Why (kept in the trail).")
def deactivate_user(username: str, reason: str) -> None:
    """Deactivate an account (an unblinded one's only here): its sessions end."""
    _set_active(username, False, reason)
    click.echo(f"Deactivated {username}.")


@main.command("reactivate-user")
@click.argument("username")
@click.option("--reason", required=True, help="Why (kept in the trail).")
def reactivate_user(username: str, reason: str) -> None:
    """Reactivate an account (an unblinded one's only here)."""
    _set_active(username, True, reason)
    click.echo(f"Reactivated {username}.")


@main.command("set-name")
@click.argument("username")
@click.option("--name", "full_name", required=True,
              help="The person's full name, as a signature prints it.")
@click.option("--reason", required=True, help="Why (kept in the trail).")
def set_name(username: str, full_name: str, reason: str) -> None:
    """Give an account its person's name, or correct it (an unblinded one's only here)."""
    from edc.services.accounts import account, set_full_name

    ctx = _context()
    try:
        set_full_name(ctx, account(ctx, username), full_name, reason)
    except Refused as refused:
        _refused(refused)
    click.echo(f"The name of {username} is {' '.join(full_name.split())}.")


@main.command("lock")
@click.option("--reason", required=True, help="Why the database is locked (kept in the trail).")
def lock_database(reason: str) -> None:
    """Lock the database for an analysis: every change of a child's data is refused."""
    from edc.services.locks import lock_database as lock

    try:
        lock(_context(), reason)
    except Refused as refused:
        _refused(refused)
    click.echo("The database is locked.")


@main.command("unlock")
@click.option("--reason", required=True, help="Why the database is unlocked.")
def unlock_database(reason: str) -> None:
    """Unlock the database after an analysis."""
    from edc.services.locks import unlock_database as unlock

    try:
        unlock(_context(), reason)
    except Refused as refused:
        _refused(refused)
    click.echo("The database is unlocked.")


@main.command()
@click.argument("second_infusion")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def schedule(second_infusion: str, as_json: bool) -> None:
    """Print the follow-up visits for a second-infusion date (YYYY-MM-DD)."""
    try:
        anchor = date.fromisoformat(second_infusion)
    except ValueError:
        anchor = None
    if anchor is None or not 1900 <= anchor.year <= 2200:
        _fail(f"Got {second_infusion!r}. Expected a date like 2026-03-16.")
    study = current_app.extensions["edc_study"]
    visits = plan_visits(anchor, study.schedule, current_app.extensions["edc_calendar"])
    if as_json:
        click.echo(json.dumps([v.as_dict() for v in visits], indent=2))
        return
    click.echo(f"Day 0 (second infusion): {anchor.isoformat()}  [{study.schedule.month_rule}]")
    click.echo(f"{'code':<5} {'label':<10} {'day':>4}  {'target':<10}  {'window':<23}  suggested")
    for v in visits:
        note = "" if v.suggested_is_clinic_day else "  (no clinic day in window)"
        click.echo(f"{v.code:<5} {v.label:<10} {v.day:>4}  {v.target}  {v.window_start} to "
                   f"{v.window_end}  {v.suggested} {v.suggested.strftime('%a')}{note}")


@main.group()
def allocation() -> None:
    """The concealed randomisation list."""


@allocation.command("load")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def allocation_load(csv_file: Path) -> None:
    """Load a list with columns sequence,arm. The arms are not printed."""
    from edc.services import load_allocation

    try:
        count = load_allocation(_context(), csv_file.read_text(encoding="utf-8-sig"))
    except Refused as refused:
        _refused(refused)
    click.echo(f"Loaded {count} allocation entries from {csv_file.name}.")


@main.command()
def demo() -> None:
    """Create the database with demo accounts and children, and print how to log in."""
    from edc.cli.demo import load_demo

    db.upgrade(current_app.config["DATABASE_URL"])
    try:
        for line in load_demo(context_for(Operator("demo"))):
            click.echo(line)
    except Refused as refused:
        _refused(refused)


@main.command()
@click.option("--children", type=click.IntRange(min=1), default=1000, show_default=True,
              help="How many children to enrol.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="The same seed grows the same children.")
@click.option("--wide-forms", type=click.Path(file_okay=False, path_type=Path),
              help="Copy the study folder to this folder with a participant code pattern wide "
                   "enough for CHILDREN, and grow with it (serve the database with "
                   "EDC_FORMS_DIR set to it). Needed above 999 children.")
def grow(children: int, seed: int, wide_forms: Path | None) -> None:
    """Fill an empty database with a generated trial, through the services, for measuring."""
    from edc.cli.grow import grow as grow_trial
    from edc.cli.grow import widen_codes
    from edc.protocol.study import load_study

    study = None
    if wide_forms is not None:
        folder = widen_codes(Path(current_app.config["FORMS_DIR"]), wide_forms, children)
        study = load_study(folder)
        click.echo(f"Study folder with wider participant codes: {folder}")
    db.upgrade(current_app.config["DATABASE_URL"])
    try:
        grown = grow_trial(current_app._get_current_object(), children, seed, study=study,
                           progress=lambda n: click.echo(f"  {n:,} children", err=True)
                           if n % 1000 == 0 else None)
    except Refused as refused:
        _refused(refused)
    click.echo(f"Grew {grown.children:,} children ({grown.rows:,} rows) in {grown.seconds:.1f} s: "
               f"{grown.children_per_second:.1f} children/s, {grown.rows_per_second:,.0f} rows/s.")


@main.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup(target: Path) -> None:
    """Copy the database to a new file TARGET, safely while the server runs."""
    from edc.maintenance import MaintenanceError
    from edc.maintenance import backup as copy

    try:
        copy(current_app.config["DATABASE_URL"], target)
    except MaintenanceError as error:
        _fail(str(error))
    click.echo(f"Backed up {_shown_url()} to {target} ({target.stat().st_size:,} bytes).")


@main.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
def restore(source: Path) -> None:
    """Restore the backup SOURCE into this instance's database, which must be empty."""
    from edc.maintenance import MaintenanceError, check
    from edc.maintenance import restore as put_back

    try:
        put_back(db.engine(), current_app.config["DATABASE_URL"], source)
    except MaintenanceError as error:
        _fail(str(error))
    problems = check(db.engine())
    click.echo(f"Restored {source} into {_shown_url()}.")
    for problem in problems:
        click.echo(f"Problem: {problem}", err=True)
    if problems:
        sys.exit(1)


@main.command("check")
def check_database() -> None:
    """Verify the database: integrity, schema at the newest migration, audit protection."""
    from edc.maintenance import check

    problems = check(db.engine())
    for problem in problems:
        click.echo(f"Problem: {problem}", err=True)
    if problems:
        sys.exit(1)
    integrity = "integrity ok, " if db.engine().dialect.name == "sqlite" else ""
    click.echo(f"{_shown_url()}: {integrity}schema at the newest migration, audit trail "
               "protected.")


@main.command()
@click.option("--format", "kind", required=True,
              type=click.Choice(["csv", "wide", "dictionary", "odm", "xpt", "audit"]),
              help="csv: a zip of SDTM-shaped CSV datasets; wide: one row per child and visit; "
                   "dictionary: REDCap's data dictionary of forms/; odm: CDISC ODM 1.3.2 XML "
                   "with audit records; xpt: a zip of SAS version 5 transport files; audit: "
                   "the audit trail.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The folder the file is written to.")
@click.option("--unblinded", is_flag=True,
              help="Include the allocation (the unblinded statistician's export only).")
def export(kind: str, out: Path, unblinded: bool) -> None:
    """Write an export to a new file in OUT named with the study id and the UTC time."""
    from edc import exports
    from edc.models import utcnow
    from edc.permissions import Role
    from edc.services.exports import record_export

    study = current_app.extensions["edc_study"]
    role = Role.UNBLINDED if unblinded else Role.MONITOR
    at = utcnow()
    name = exports.file_name(study, kind, role, at)
    out.mkdir(parents=True, exist_ok=True)
    target = out / name
    partial = out / f"{name}.part"
    if target.exists() or partial.exists():
        _fail(f"{target} exists already. Expected a new file name.")
    ctx = _context()
    # Written under another name first: a file with the export's name is always whole.
    with partial.open("wb") as file:
        count = exports.write(ctx.session, study, kind, role, file, at)
    partial.rename(target)
    record_export(ctx, kind, name, unblinded=unblinded)
    click.echo(f"Wrote {target} ({exports.FORMATS[kind].counted(count)}).")


@main.command("lift-wait")
@click.argument("address")
@click.option("--reason", required=True, help="Why its wait is lifted (kept in the trail).")
def lift_wait(address: str, reason: str) -> None:
    """Let a computer (ADDRESS, as the Users page shows it) that waits after failed log-ins try
    again at once: the administrator's page's change, from the server's console."""
    from edc.services.accounts import lift_computer_wait

    try:
        lift_computer_wait(_context(), address, reason, None)
    except Refused as refused:
        _refused(refused)
    click.echo(f"The computer {address} may try to log in again now.")
