"""The audit trail says what changed, once: a grown trial's database stays well under half
audit trail (a created record is one row of the values entered, not one row per field)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from edc.cli import main

AUDIT = ("audit_event", "ix_audit_event_participant_id", "audit_entry")


def test_a_grown_trial_is_well_under_half_audit_trail(tmp_path: Path) -> None:
    path = tmp_path / "grown.sqlite3"
    grown = CliRunner().invoke(main, ["grow", "--children", "20", "--seed", "3"], env={
        "EDC_DATABASE_URL": f"sqlite:///{path}", "EDC_SECRET_KEY": "cli-test"})
    assert grown.exit_code == 0, grown.output
    connection = sqlite3.connect(path)
    try:
        connection.execute("VACUUM")
        pages = dict(connection.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
    finally:
        connection.close()
    share = sum(pages.get(name, 0) for name in AUDIT) / sum(pages.values())
    # One row per created field made it 47 % at this size (65 % at 200 children).
    assert share < 0.40, f"Got an audit trail of {share:.0%} of the database. Expected < 40 %."
