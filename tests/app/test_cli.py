"""The `edc` command: schedule, create-user, reset-password, deactivate-user, allocation load,
init, demo, broken study files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from edc.models import Allocation, AuditEvent, Participant, User, Visit

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
FORMS = Path(__file__).resolve().parents[2] / "forms"


def rows(database_url: str, model: type) -> list:
    engine = create_engine(database_url)
    with Session(engine) as session:
        result = session.scalars(select(model)).all()
    engine.dispose()
    return result


def test_schedule_json_matches_the_golden_file(runner) -> None:
    result = runner("schedule", "2026-03-16", "--json")
    assert result.exit_code == 0, result.output
    golden = json.loads((GOLDEN / "schedule_2026-03-16.json").read_text())
    assert json.loads(result.stdout) == golden


def test_schedule_json_has_exactly_the_documented_keys(runner) -> None:
    visits = json.loads(runner("schedule", "2025-01-31", "--json").stdout)
    assert [v["code"] for v in visits] == [
        "W02", "W04", "W06", "W08", "M03", "M04", "M05", "M06", "M08", "M10", "M12"]
    assert all(
        set(v) == {"code", "label", "target", "window_start", "window_end", "suggested"}
        for v in visits)
    # 31 January + 1 month-rule: 3 months later is the last day of April.
    assert visits[4]["target"] == "2025-04-30"


def test_schedule_table_shows_one_line_per_visit_with_weekday(runner) -> None:
    result = runner("schedule", "2026-03-16")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Day 0 (second infusion): 2026-03-16  [calendar]"
    assert len(lines) == 2 + 11
    assert lines[8].split() == ["M05", "5", "months", "153", "2026-08-16", "2026-08-09", "to",
                                "2026-08-23", "2026-08-17", "Mon"]


@pytest.mark.parametrize(
    "bad", ["2026-02-30", "16/03/2026", "tomorrow", "", "9999-12-31", "0001-01-01"])
def test_schedule_with_a_bad_date_prints_one_line_and_exits_2(runner, bad: str) -> None:
    result = runner("schedule", bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: Got {bad!r}. Expected a date like 2026-03-16.\n"


def test_broken_study_file_stops_start_up_naming_file_key_got_and_expected(
    runner, tmp_path: Path
) -> None:
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    schedule = forms / "schedule.toml"
    schedule.write_text(schedule.read_text().replace('month_rule = "calendar"',
                                                     'month_rule = "lunar"'))
    result = runner("schedule", "2026-03-16", extra_env={"EDC_FORMS_DIR": str(forms)})
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: forms/schedule.toml: month_rule: got 'lunar'. "
        "Expected one of 'calendar', '30d', '30.4375d'.\n")


def test_create_user_reads_the_password_from_stdin_and_hashes_it(runner, database_url) -> None:
    result = runner("create-user", "li.na", "--role", "nurse", input="a-long-password\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("Created nurse li.na: give its person the password, which they "
                             "replace with their own at the first log-in.\n")
    [user] = [u for u in rows(database_url, User) if u.username == "li.na"]
    assert (user.role, user.password_temporary) == ("nurse", True)
    assert "a-long-password" not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:sha256")


def test_create_user_keeps_the_persons_name_and_set_name_corrects_it(runner,
                                                                      database_url) -> None:
    made = runner("create-user", "li.ming", "--role", "investigator", "--name", "李明  Li Ming",
                  input="a-long-password\n")
    assert made.exit_code == 0, made.output
    [user] = [u for u in rows(database_url, User) if u.username == "li.ming"]
    assert user.full_name == "李明 Li Ming"
    renamed = runner("set-name", "li.ming", "--name", "Dr 李明 Li Ming", "--reason", "Title")
    assert renamed.exit_code == 0, renamed.output
    assert renamed.stdout == "The name of li.ming is Dr 李明 Li Ming.\n"
    [user] = [u for u in rows(database_url, User) if u.username == "li.ming"]
    assert user.full_name == "Dr 李明 Li Ming"
    no_reason = runner("set-name", "li.ming", "--name", "X", "--reason", " ")
    assert no_reason.exit_code == 2 and no_reason.stderr == "Error: Say why.\n"


def test_create_user_refuses_a_short_password_and_an_unknown_role(runner, database_url) -> None:
    short = runner("create-user", "li.na", "--role", "nurse", input="short\n")
    assert short.exit_code == 2
    assert short.stderr == "Error: The password must have at least 10 characters.\n"
    assert runner("create-user", "li.na", "--role", "doctor", input="x" * 12).exit_code == 2
    assert not [u for u in rows(database_url, User) if u.username == "li.na"]


def test_allocation_load_stores_the_list_without_printing_the_arms(
    runner, database_url, tmp_path: Path
) -> None:
    csv = tmp_path / "list.csv"
    csv.write_text("sequence,arm\n1,MSC\n2,PBO\n3,PBO\n4,MSC\n")
    result = runner("allocation", "load", str(csv))
    assert result.exit_code == 0, result.output
    assert result.stdout == "Loaded 4 allocation entries from list.csv.\n"
    assert "MSC" not in result.output and "PBO" not in result.output
    stored = sorted((a.sequence, a.arm, a.participant_id) for a in rows(database_url, Allocation))
    assert stored == [(1, "MSC", None), (2, "PBO", None), (3, "PBO", None), (4, "MSC", None)]
    audit = [e for e in rows(database_url, AuditEvent) if e.entity == "allocation"]
    assert {e.username for e in audit} == {f"cli:{__import__('getpass').getuser()}"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seq,arm\n1,MSC\n", "Expected a header line: sequence,arm."),
        ("sequence,arm\n1,MSC\n1,PBO\n", "Line 3: sequence 1 appears twice."),
        ("sequence,arm\nx,MSC\n2,PBO\n", "Line 2: got sequence 'x'. Expected a whole number ≥ 1."),
        ("sequence,arm\n1,MSC\n2,XYZ\n",
         "Line 3: got an arm that is not one of the study's arm codes (MSC, PBO)."),
        ("sequence,arm\n1,MSC\n2,MSC\n3,PBO\n", "The list is not balanced 1:1"),
        ("sequence,arm\n", "The list is empty."),
    ],
)
def test_allocation_load_refuses_a_bad_list_and_stores_nothing(
    runner, database_url, tmp_path: Path, text: str, message: str
) -> None:
    csv = tmp_path / "list.csv"
    csv.write_text(text)
    result = runner("allocation", "load", str(csv))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "XYZ" not in result.stderr
    assert rows(database_url, Allocation) == []


def test_allocation_load_only_extends_the_list_after_its_end(runner, database_url,
                                                           tmp_path) -> None:
    csv = tmp_path / "list.csv"
    csv.write_text("sequence,arm\n1,MSC\n2,PBO\n5,PBO\n6,MSC\n")
    assert runner("allocation", "load", str(csv)).exit_code == 0
    # Again, below the end, or into the gap 3-4 (the next child's number, an arm chosen now).
    for text, first in [("sequence,arm\n1,MSC\n2,PBO\n", "Line 2: sequence 1"),
                        ("sequence,arm\n7,MSC\n4,PBO\n", "Line 3: sequence 4"),
                        ("sequence,arm\n3,PBO\n4,MSC\n", "Line 2: sequence 3")]:
        csv.write_text(text)
        again = runner("allocation", "load", str(csv))
        assert again.exit_code == 2
        assert again.stderr == (
            f"Error: {first} is not after the end of the list already loaded (its highest "
            "number is 6). A list is only extended after its end: number the new entries "
            "from 7.\n")
    assert sorted(a.sequence for a in rows(database_url, Allocation)) == [1, 2, 5, 6]
    csv.write_text("sequence,arm\n7,MSC\n8,PBO\n")
    assert runner("allocation", "load", str(csv)).exit_code == 0
    assert sorted(a.sequence for a in rows(database_url, Allocation)) == [1, 2, 5, 6, 7, 8]


def _user(database_url: str, username: str) -> User:
    return next(u for u in rows(database_url, User) if u.username == username)


def test_the_console_resets_deactivates_and_reactivates_an_unblinded_account(
        runner, database_url) -> None:
    assert runner("create-user", "pharmacist", "--role", "unblinded",
                  input="a-long-password\n").exit_code == 0
    old_hash = _user(database_url, "pharmacist").password_hash
    weak = runner("reset-password", "pharmacist", input="short\n")
    assert (weak.exit_code, weak.stderr) == (
        2, "Error: The password must have at least 10 characters.\n")
    reset = runner("reset-password", "pharmacist", input="Lantern-river-42\n")
    assert reset.exit_code == 0, reset.output
    assert reset.stdout == ("Reset the password of pharmacist: give its person the temporary "
                            "password.\n")
    assert _user(database_url, "pharmacist").password_hash != old_hash
    assert runner("reset-password", "nobody", input="Lantern-river-42\n").stderr == (
        "Error: There is no user nobody.\n")
    assert runner("deactivate-user", "pharmacist").exit_code == 2  # a reason is required
    gone = runner("deactivate-user", "pharmacist", "--reason", "Left the pharmacy")
    assert (gone.exit_code, gone.stdout) == (0, "Deactivated pharmacist.\n")
    assert _user(database_url, "pharmacist").active is False
    back = runner("reactivate-user", "pharmacist", "--reason", "Back")
    assert (back.exit_code, back.stdout) == (0, "Reactivated pharmacist.\n")
    assert _user(database_url, "pharmacist").active is True
    me = f"cli:{__import__('getpass').getuser()}"
    changes = {(e.field, e.reason) for e in rows(database_url, AuditEvent)
               if e.entity == "user" and e.username == me and e.action == "update"}
    assert {("password_hash", "Password reset by an administrator"),
            ("active", "Left the pharmacy"), ("active", "Back")} <= changes


def test_init_creates_a_fresh_database_and_can_run_twice(runner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    for _ in range(2):
        result = runner("init", extra_env={"EDC_DATABASE_URL": url})
        assert result.exit_code == 0, result.output
        assert result.stdout == f"Database ready: {url}\n"
    assert rows(url, User) == []


def test_demo_loads_accounts_children_and_schedules_once(runner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    first = runner("demo", extra_env={"EDC_DATABASE_URL": url})
    assert first.exit_code == 0, first.output
    assert "nurse         demo-password   (nurse)" in first.stdout
    assert "Demo data loaded" in first.stdout
    assert sorted(p.code for p in rows(url, Participant)) == [f"AS-00{n}" for n in range(1, 9)]
    visits = rows(url, Visit)
    # Five children have follow-up; AS-003 has had only infusion 1, AS-004 and AS-005 none.
    assert sum(v.kind == "scheduled" for v in visits) == 55
    assert sum(v.kind == "screening" and v.status == "done" for v in visits) == 7
    second = runner("demo", extra_env={"EDC_DATABASE_URL": url})
    assert "Demo data already present." in second.stdout
    assert len(rows(url, Participant)) == 8


def test_init_works_out_again_which_required_results_each_done_visit_lacks(
    runner, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    assert runner("demo", extra_env={"EDC_DATABASE_URL": url}).exit_code == 0
    assert {v.results_missing for v in rows(url, Visit)} == {None}  # every save was whole
    # An amendment makes urine volume required; its forms are deployed with `edc init`.
    amended = tmp_path / "forms"
    shutil.copytree(FORMS, amended)
    results = amended / "results.toml"
    text = results.read_text(encoding="utf-8")
    at = text.index('key = "urine_volume"')
    results.write_text(text[:at] + text[at:].replace("required = false", "required = true", 1),
                       encoding="utf-8")
    done = runner("init", extra_env={"EDC_DATABASE_URL": url, "EDC_FORMS_DIR": str(amended)})
    assert done.exit_code == 0, done.output
    lacking = {(v.code, v.status) for v in rows(url, Visit) if v.results_missing}
    assert lacking and {status for _, status in lacking} == {"done"}
    assert {v.results_missing for v in rows(url, Visit)} == {None, "urine_volume"}
    # Back to the forms of today: nothing lacks anything again.
    assert runner("init", extra_env={"EDC_DATABASE_URL": url}).exit_code == 0
    assert {v.results_missing for v in rows(url, Visit)} == {None}


def test_serve_answers_the_login_page_and_guards_the_rest(tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    env = {**os.environ, "EDC_DATABASE_URL": url, "EDC_SECRET_KEY": "serve-test"}
    edc = [sys.executable, "-c", "from edc.cli import main; main()"]
    subprocess.run([*edc, "init"], env=env, check=True, capture_output=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([*edc, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as login:
                    status, body = login.status, login.read().decode()
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        assert status == 200
        assert '<html lang="zh-CN">' in body and "用户名" in body  # the site's language
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/participants/", timeout=2) as page:
            assert page.url == f"http://127.0.0.1:{port}/login?next=/participants/?"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_refuses_a_database_that_is_not_initialised(runner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = runner("serve", extra_env={"EDC_DATABASE_URL": url})
    assert result.exit_code == 2
    from alembic.script import ScriptDirectory

    from edc.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert result.stderr == (f"Error: The database is at schema none, the code needs {head}. "
                             "Run `edc init` first.\n")


def test_unlock_user_lifts_the_wait_after_failed_log_ins_from_another_computer(
        runner, database_url) -> None:
    created = runner("create-user", "li.na", "--role", "nurse", input="a-long-password\n")
    assert created.exit_code == 0
    engine = create_engine(database_url)
    with Session(engine) as session:
        from edc.services import Refused
        from edc.services.accounts import authenticate
        from edc.services.signin import Throttled

        for _attempt in range(5):
            with pytest.raises(Refused):
                authenticate(session, "li.na", "wrong-password", "127.0.0.9")
        with pytest.raises(Throttled):
            authenticate(session, "li.na", "a-long-password", "127.0.0.9")
    result = runner("unlock-user", "li.na")
    assert (result.exit_code, result.stdout) == (0, "Unlocked li.na.\n")
    with Session(engine) as session:
        assert authenticate(session, "li.na", "a-long-password", "127.0.0.9").username == "li.na"
    engine.dispose()
    assert runner("unlock-user", "nobody").stderr == "Error: There is no user nobody.\n"


def test_demo_refuses_a_database_with_its_own_accounts_and_adds_nothing(runner, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'real.sqlite3'}"
    env = {"EDC_DATABASE_URL": url}
    assert runner("init", extra_env=env).exit_code == 0
    assert runner("create-user", "alice", "--role", "nurse", input="strong-password-1\n",
               extra_env=env).exit_code == 0
    result = runner("demo", extra_env=env)
    assert result.exit_code == 2
    assert result.stderr == ("Error: This database already holds accounts, an allocation list "
                             "or children: `edc demo` only fills an empty database. Nothing was "
                             "added.\n")
    assert [u.username for u in rows(url, User)] == ["alice"]
    assert rows(url, Allocation) == []


@pytest.mark.parametrize(("text", "message"), [
    ("sequence,arm\n²,MSC\n", "Line 2: got sequence '²'. Expected a whole number ≥ 1."),
])
def test_allocation_load_refuses_digits_that_are_not_numbers(runner, database_url, tmp_path,
                                                             text, message) -> None:
    csv = tmp_path / "list.csv"
    csv.write_text(text)
    result = runner("allocation", "load", str(csv))
    assert (result.exit_code, message in result.stderr) == (2, True)


def test_allocation_load_reads_a_header_with_spaces(runner, database_url, tmp_path) -> None:
    csv = tmp_path / "list.csv"
    csv.write_text("sequence, arm\n1, MSC\n2, PBO\n")
    assert runner("allocation", "load", str(csv)).exit_code == 0
    assert sorted((a.sequence, a.arm) for a in rows(database_url, Allocation)) == [
        (1, "MSC"), (2, "PBO")]
