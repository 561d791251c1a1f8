"""Log-in under attack, as a nurse and an administrator meet it: guessing slowed per computer
and per user name without keeping the nurse out (her browser proves she logged in on it, even
when the whole ward shares one address), the same answer for an unknown name, every attempt in
the trail, log-out ending the session on the server, the password policy, HTTPS."""

from __future__ import annotations

import re
import secrets
import threading
import time
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db
from edc.app import ConfigurationError, context_for, create_app
from edc.models import AuditEvent, LoginAttempt, User, utcnow
from edc.services import Operator, accounts
from edc.services.signin import BROWSER_COOKIE, KnownBrowser, read_browser, sign_browser
from tests.support.apps import PASSWORD, SET_UP, login
from tests.support.audit import audit_rows
from tests.support.pages import page

WRONG = "Wrong user name or password."
ZH = {"Accept-Language": "zh-CN"}


def _alert(response) -> str:
    match = re.search(r'<p class="flash error" role="alert">(.*?)</p>', response.text, re.S)
    assert match, f"Got no error message on the page. Expected one.\n{response.text}"
    return unescape(match.group(1)).strip()


def _at(app: Flask, address: str) -> FlaskClient:
    """A browser on another computer (the address the app sees)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _later(monkeypatch: pytest.MonkeyPatch, minutes: float) -> None:
    """Let `minutes` pass for the log-in's clock."""
    then = utcnow() + timedelta(minutes=minutes)
    monkeypatch.setattr(accounts, "utcnow", lambda: then)


def _attempts(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(a.username, a.address, a.outcome) for a in db.session().scalars(
            select(LoginAttempt).order_by(LoginAttempt.id))]


# A stranger cannot keep the nurse out -------------------------------------------------------------


def test_guessing_a_nurse_password_elsewhere_does_not_keep_her_out_of_her_usual_computer(
        app: Flask, client: FlaskClient) -> None:
    # The nurse logged in on the ward computer's browser before.
    assert login(client, "nurse").status_code == 302
    client.post("/logout")
    stranger = _at(app, "127.0.0.66")
    for _attempt in range(4):
        response = login(stranger, "nurse", "guess")
        assert (response.status_code, _alert(response)) == (401, WRONG)
    fifth = login(stranger, "nurse", "guess")
    assert fifth.status_code == 429
    assert _alert(fifth) == (
        "Wrong user name or password. Too many failed log-ins for this user name from other "
        "computers: try again in 5 minutes, or log in from the computer you usually use.")
    # Now even the right password waits there, unchecked, with a Retry-After...
    right = login(stranger, "nurse", PASSWORD)
    assert right.status_code == 429 and right.headers["Retry-After"] == "300"
    assert "Try again in 5 minutes" in _alert(right)
    # ...and in Chinese for a reader of Chinese, on a third computer too.
    zh = _at(app, "127.0.0.67").post("/login", data={"username": "nurse", "password": "x"},
                                     headers=ZH)
    assert _alert(zh) == ("此用户名在其他电脑上登录失败次数过多。请 5 分钟后再试，"
                          "或在您常用的电脑上登录。")
    # The nurse at her usual computer gets in at once; a new browser there waits like any other.
    assert login(_at(app, "127.0.0.1"), "nurse").status_code == 429
    assert login(client, "nurse").status_code == 302
    assert client.get("/participants/").status_code == 200


def test_many_failures_from_one_computer_make_it_wait_longer_each_time(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    computer = _at(app, "127.0.0.20")
    # Different names, so only the computer's count reaches its limit.
    for n in range(9):
        assert _alert(login(computer, f"name{n}", "guess")) == WRONG
    tenth = login(computer, "name9", "guess")
    assert (tenth.status_code, _alert(tenth)) == (429, (
        "Wrong user name or password. Too many failed log-ins from this computer: try again "
        "in 1 minute."))
    # The right password of a real account waits too: nothing is checked while it waits.
    assert _alert(login(computer, "investigator", PASSWORD)) == (
        "Too many failed log-ins from this computer. Try again in 1 minute.")
    assert _alert(computer.post("/login", data={"username": "a", "password": "b"},
                                headers=ZH)) == "这台电脑登录失败次数过多。请 1 分钟后再试。"
    # Another computer is not held back.
    assert login(_at(app, "127.0.0.21"), "investigator").status_code == 302
    # After the wait, one more failure doubles it.
    _later(monkeypatch, 1.5)
    assert "try again in 2 minutes" in _alert(login(computer, "name10", "guess"))
    _later(monkeypatch, 4)
    assert "try again in 4 minutes" in _alert(login(computer, "name11", "guess"))
    _later(monkeypatch, 9)
    assert login(computer, "investigator").status_code == 302


def test_a_flood_of_guesses_is_refused_without_checking_passwords(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[str] = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda hashed, typed: checks.append(typed) or real(hashed, typed))
    computer = _at(app, "127.0.0.30")
    statuses = [login(computer, "nurse", f"guess{n}").status_code for n in range(40)]
    # Five guesses at the name from this unusual computer, then every post waits.
    assert statuses == [401] * 4 + [429] * 36
    assert len(checks) == 5
    # The guesses that started the wait are kept each; of the refusals, one per wait.
    assert [outcome for *_, outcome in _attempts(app)] == ["failed"] * 5 + ["throttled"]


def test_an_unknown_name_and_a_wrong_password_get_the_same_answer_after_the_same_work(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[str] = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda hashed, typed: checks.append(typed) or real(hashed, typed))
    answers = {}
    for name in ("nurse", "nobody"):
        checks.clear()
        computer = _at(app, f"127.0.1.{len(answers)}")
        answers[name] = [(r.status_code, _alert(r))
                         for r in (login(computer, name, "wrong-password") for _ in range(6))]
        # Each attempt that was not made to wait checked one password hash, known name or not.
        assert checks == ["wrong-password"] * 5, name
    assert answers["nurse"] == answers["nobody"]
    assert answers["nurse"][0] == (401, WRONG)


def test_a_deactivated_account_costs_a_hash_check_and_gets_the_wrong_password_message(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        ctx = context_for(SET_UP)
        accounts.set_active(ctx, accounts.account(ctx, "monitor"), False, "Left the study")
    checks: list[str] = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda hashed, typed: checks.append(typed) or real(hashed, typed))
    response = login(app.test_client(), "monitor")
    assert (response.status_code, _alert(response), len(checks)) == (401, WRONG, 1)


# A ward behind one address: each nurse's browser proves her --------------------------------------

WARD_WAITS = "Too many failed log-ins from this computer. Try again in 1 minute."


def _known(client: FlaskClient) -> str | None:
    """The browser's proof of its users, as the browser keeps it."""
    cookie = client.get_cookie(BROWSER_COOKIE, path="/login")
    return cookie.value if cookie else None


def _proofs_set(response) -> list[str]:
    """The proofs a response gives the browser (Set-Cookie headers)."""
    return [c for c in response.headers.getlist("Set-Cookie")
            if c.startswith(f"{BROWSER_COOKIE}=")]


def _user_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session().scalars(select(User.id).where(User.username == name)).one()


def _wait_for_name(app: Flask, name: str) -> None:
    """Five wrong passwords from elsewhere: the name waits on every browser that does not prove
    it."""
    stranger = _at(app, "127.0.9.99")
    for _attempt in range(5):
        login(stranger, name, "guess")
    assert login(_at(app, "127.0.9.98"), name).status_code == 429


def test_a_ward_behind_one_address_gets_in_while_a_stranger_there_makes_it_wait(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    ward = "127.0.6.1"  # the whole ward leaves the hospital's network through it
    nurse = _at(app, ward)
    assert login(nurse, "nurse").status_code == 302
    nurse.post("/logout")
    # A stranger at the next computer: ten failures with any names make the address wait...
    stranger = _at(app, ward)
    for _attempt in range(9):
        assert _alert(login(stranger, secrets.token_hex(4), "guess")) == WRONG
    assert login(stranger, secrets.token_hex(4), "guess").status_code == 429
    # ...and five more at the nurse's name from elsewhere make her name wait too.
    _wait_for_name(app, "nurse")
    # The nurse, in the browser she logged in on before, gets in at once.
    assert login(nurse, "nurse").status_code == 302
    assert nurse.get("/participants/").status_code == 200
    # A browser new at that address waits, whoever types in it, with the message.
    newcomer = _at(app, ward)
    refused = login(newcomer, "investigator")
    assert (refused.status_code, _alert(refused)) == (429, WARD_WAITS)
    assert refused.headers["Retry-After"] == "60"
    assert _alert(newcomer.post("/login", data={"username": "investigator",
                                                "password": PASSWORD}, headers=ZH)) == (
        "这台电脑登录失败次数过多。请 1 分钟后再试。")
    # The stranger keeps being refused, the nurse's right password unchecked too.
    assert _alert(login(stranger, "nurse")) == WARD_WAITS
    # Her log-ins are not counted at the address and break no row there: after the wait, she
    # logs in again, and the stranger's next failure still makes it wait twice as long.
    _later(monkeypatch, 1.5)
    nurse.post("/logout")
    assert login(nurse, "nurse").status_code == 302
    assert "try again in 2 minutes" in _alert(login(stranger, secrets.token_hex(4), "guess"))
    assert ("nurse", ward, "success") in _attempts(app)


def test_a_forged_altered_or_other_users_proof_lets_nobody_past_a_wait(app: Flask) -> None:
    ward = "127.0.6.20"
    nurse, colleague = _at(app, ward), _at(app, ward)
    assert login(nurse, "nurse").status_code == 302
    assert login(colleague, "investigator").status_code == 302
    _make_wait(app, ward)
    # The investigator's browser proves the investigator, not the nurse.
    assert _alert(login(colleague, "nurse")) == WARD_WAITS
    # A proof made without the app's secret key, or the investigator's with its names changed.
    real = _known(colleague)
    browser = read_browser(real, [app.secret_key])
    assert browser is not None and [u[1] for u in browser.users] == ["investigator"]
    claim = KnownBrowser(browser.id, ((_user_id(app, "nurse"), "nurse",
                                       int(utcnow().timestamp())),))
    forged = sign_browser(claim, ["a key somebody guessed"])
    altered = forged.rsplit(".", 1)[0] + "." + real.rsplit(".", 1)[1]
    for value in (forged, altered):
        impostor = _at(app, ward)
        impostor.set_cookie(BROWSER_COOKIE, value, path="/login")
        assert _alert(login(impostor, "nurse")) == WARD_WAITS
    # The nurse's own proof lets her in.
    assert login(nurse, "nurse").status_code == 302


def test_a_browsers_own_failures_are_limited_like_a_names(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[str] = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda hashed, typed: checks.append(typed) or real(hashed, typed))
    open_browser = _at(app, "127.0.6.30")
    assert login(open_browser, "nurse").status_code == 302
    open_browser.post("/logout")
    checks.clear()
    # Someone at her browser guesses: five passwords are checked, then it waits, unchecked.
    answers = [login(open_browser, "nurse", f"guess{n}") for n in range(8)]
    assert [r.status_code for r in answers] == [401] * 4 + [429] * 4
    assert len(checks) == 5
    assert _alert(answers[4]) == (
        "Wrong user name or password. Too many failed log-ins for this user name on this "
        "computer: try again in 5 minutes.")
    right = login(open_browser, "nurse")
    assert (right.status_code, right.headers["Retry-After"]) == (429, "300")
    assert _alert(right) == (
        "Too many failed log-ins for this user name on this computer. Try again in 5 minutes.")
    assert _alert(open_browser.post("/login", data={"username": "nurse", "password": "x"},
                                    headers=ZH)) == (
        "此用户名在这台电脑上登录失败次数过多。请 5 分钟后再试。")
    # Counted on that browser alone: the nurse elsewhere and the others at the address get in.
    assert login(_at(app, "127.0.6.31"), "nurse").status_code == 302
    assert login(_at(app, "127.0.6.30"), "investigator").status_code == 302
    # After the wait, one more failure doubles it; an administrator's Unlock ends it.
    _later(monkeypatch, 6)
    assert "try again in 10 minutes" in _alert(login(open_browser, "nurse", "guess"))
    with app.app_context():
        accounts.unlock(context_for(SET_UP), "nurse")
    assert login(open_browser, "nurse").status_code == 302


def test_the_proof_outlives_log_out_as_an_http_only_cookie_of_the_log_in_page(
        app: Flask) -> None:
    browser = _at(app, "127.0.6.40")
    response = login(browser, "nurse")
    [known] = _proofs_set(response)
    assert {"HttpOnly", "SameSite=Lax", "Path=/login", "Max-Age=7776000"} <= {
        part.strip() for part in known.split(";")}
    assert "Secure" not in known
    # A failed log-in leaves the proof as it was.
    assert _proofs_set(login(browser, "nobody", "guess")) == []
    assert browser.post("/logout").status_code == 302
    assert browser.get("/participants/").status_code == 302  # the session ended
    _wait_for_name(app, "nurse")
    assert login(browser, "nurse").status_code == 302  # the browser is still hers
    https = app.test_client().post("/login", data={"username": "investigator",
                                                   "password": PASSWORD},
                                   base_url="https://localhost")
    assert all("Secure" in c for c in https.headers.getlist("Set-Cookie"))
    assert len(_proofs_set(https)) == 1


def test_a_deactivated_accounts_proof_is_worthless(app: Flask) -> None:
    ward = "127.0.6.50"
    monitor = _at(app, ward)
    assert login(monitor, "monitor").status_code == 302
    with app.app_context():
        ctx = context_for(SET_UP)
        accounts.set_active(ctx, accounts.account(ctx, "monitor"), False, "Left the study")
    _make_wait(app, ward)
    # Held back like any browser, its password unchecked.
    assert _alert(login(monitor, "monitor")) == WARD_WAITS
    with app.app_context():
        accounts.lift_computer_wait(context_for(SET_UP), ward, "Ward computer", None)
    # Its failures count at the address and the name, as anyone's do.
    for _attempt in range(4):
        assert _alert(login(monitor, "monitor")) == WRONG
    assert "for this user name from other computers" in _alert(login(monitor, "monitor"))


def test_a_proof_changes_nothing_for_a_name_that_is_no_account(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    proven = _at(app, "127.0.6.60")
    assert login(proven, "nurse").status_code == 302
    proven.post("/logout")
    checks: list[str] = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda hashed, typed: checks.append(typed) or real(hashed, typed))
    answers = {}
    for name, browser in (("nobody1", proven), ("nobody2", _at(app, "127.0.6.61"))):
        checks.clear()
        answers[name] = [(r.status_code, _alert(r), r.headers.get("Retry-After"),
                          _proofs_set(r))
                         for r in (login(browser, name, "wrong-password") for _ in range(6))]
        assert checks == ["wrong-password"] * 5, name
    assert answers["nobody1"] == answers["nobody2"]
    assert answers["nobody1"][-1][:3] == (429, (
        "Too many failed log-ins for this user name from other computers. Try again in 5 "
        "minutes, or log in from the computer you usually use."), "300")


def test_a_ward_computer_proves_its_twelve_newest_users_for_ninety_days(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    ward = "127.0.6.70"
    names = [f"ward.nurse.{n:02d}" for n in range(1, 14)]
    with app.app_context():
        for name in names:
            accounts.create_user(context_for(Operator("admin")), name, "nurse", PASSWORD)
    shared = _at(app, ward)
    for name in names:
        assert login(shared, name).status_code == 302
        shared.post("/logout")
    assert len(_known(shared)) < 2000  # far below what a browser keeps
    _make_wait(app, ward)
    assert _alert(login(shared, names[0])) == WARD_WAITS  # the oldest was dropped
    assert login(shared, names[1]).status_code == 302
    # Ninety days after a user's last log-in there, the browser no longer proves her.
    _later(monkeypatch, 89 * 24 * 60)
    _make_wait(app, ward)
    assert login(shared, names[2]).status_code == 302
    _later(monkeypatch, 91 * 24 * 60)
    _make_wait(app, ward)
    assert _alert(login(shared, names[3])) == WARD_WAITS


def test_the_server_console_lifts_a_computers_wait_saying_why(app: Flask, runner) -> None:
    ward = _make_wait(app, "127.0.6.80")
    assert runner("lift-wait", "127.0.6.80").exit_code == 2  # no reason: nothing lifted
    assert login(ward, "nurse").status_code == 429
    lifted = runner("lift-wait", "127.0.6.80", "--reason", "Ward NAT, nurses mistyped")
    assert (lifted.exit_code, lifted.stdout) == (
        0, "The computer 127.0.6.80 may try to log in again now.\n")
    assert login(ward, "nurse").status_code == 302
    with app.app_context():
        [event] = db.session().scalars(select(AuditEvent).where(
            AuditEvent.entity == "login_throttle")).all()
    assert event.username.startswith("cli:")
    assert (event.reason, event.action, event.new) == (
        "Ward NAT, nurses mistyped", "delete", "127.0.6.80")
    again = runner("lift-wait", "127.0.6.80", "--reason", "Again")
    assert (again.exit_code, again.stderr) == (2, (
        "Error: The computer 127.0.6.80 no longer waits: its wait ended or another "
        "administrator lifted it. Nothing was changed.\n"))


# Every attempt in the trail, shown to the administrator -------------------------------------------


def test_failed_log_ins_are_kept_with_the_name_typed_the_address_and_the_outcome(
        app: Flask, client: FlaskClient, as_role) -> None:
    login(_at(app, "127.0.0.40"), "nobody", "guess")
    login(client, "nurse", "wrong-password")
    login(client, "nurse")
    assert _attempts(app) == [("nobody", "127.0.0.40", "failed"),
                              ("nurse", "127.0.0.1", "failed"),
                              ("nurse", "127.0.0.1", "success")]
    rows = audit_rows(app, entity="login_attempt", field="username")
    assert [(r.username, r.new, r.reason) for r in rows] == [
        ("nobody", "nobody", "Failed log-in"), ("nurse", "nurse", "Failed log-in"),
        ("nurse", "nurse", "Log-in")]
    admin = as_role("admin")
    shown = page(admin.get("/admin/users"))
    attempts = [row[1:] for row in shown.table_rows if len(row) == 4 and row[2].startswith("127")]
    assert attempts[:4] == [["admin", "127.0.0.1", "logged in"],
                            ["nurse", "127.0.0.1", "logged in"],
                            ["nurse", "127.0.0.1", "wrong user name or password"],
                            ["nobody", "127.0.0.40", "wrong user name or password"]]


def test_a_successful_log_in_starts_the_computers_count_again(app: Flask) -> None:
    computer = _at(app, "127.0.0.40")
    for n in range(9):
        assert _alert(login(computer, f"name{n}", "guess")) == WRONG
    assert login(computer, "investigator").status_code == 302
    computer.post("/logout")
    # "Ten failures in a row": the nurse's log-in in between broke the row.
    tenth = login(computer, "name9", "guess")
    assert (tenth.status_code, _alert(tenth)) == (401, WRONG)
    assert login(computer, "nurse").status_code == 302


def test_a_password_typed_with_a_chinese_keyboards_spaces_logs_in(app: Flask) -> None:
    from edc.services.base import Operator

    with app.app_context():
        accounts.create_user(context_for(Operator("admin")), "li.na", "nurse",
                             "Kidney clinic 2026")
    wide = "Ｋｉｄｎｅｙ\u3000ｃｌｉｎｉｃ\u3000２０２６"
    assert login(_at(app, "127.0.0.41"), "li.na", wide).status_code == 302


def test_the_attempts_page_far_past_the_end_shows_an_empty_page(app: Flask, as_role) -> None:
    admin = as_role("admin")
    assert admin.get("/admin/users?attempts=9223372036854775807").status_code == 200


def test_the_administrator_pages_through_the_attempts_newest_first(
        app: Flask, as_role) -> None:
    computer = _at(app, "127.0.0.50")
    for n in range(8):
        login(computer, f"typed{n:02d}", "guess")  # eight names: none reaches a limit
    for n in range(8, 23):
        login(_at(app, f"127.0.2.{n}"), f"typed{n:02d}", "guess")
    admin = as_role("admin")

    def names(response) -> list[str]:
        return [row[1] for row in page(response).table_rows
                if len(row) == 4 and row[1].startswith(("typed", "admin"))]

    first = admin.get("/admin/users")
    assert names(first) == ["admin"] + [f"typed{n:02d}" for n in range(22, 3, -1)]
    assert "?attempts=2" in first.text and "attempts=0" not in first.text
    assert names(admin.get("/admin/users?attempts=2")) == [
        f"typed{n:02d}" for n in range(3, -1, -1)]


# Log-out ends the session on the server -----------------------------------------------------------


def _cookie(client: FlaskClient) -> str:
    return client.get_cookie("session").value


def test_a_cookie_copied_before_log_out_is_refused_after_it(app: Flask, nurse: FlaskClient
                                                             ) -> None:
    thief = app.test_client()
    thief.set_cookie("session", _cookie(nurse))
    assert thief.get("/participants/").status_code == 200
    nurse.post("/logout")
    assert thief.get("/participants/").status_code == 302
    assert nurse.get("/participants/").status_code == 302


@pytest.mark.parametrize("change, data", [
    ("deactivate", {"reason": "Left the hospital"}),
    ("password", {"password": "a-new-temporary-one"}),
])
def test_deactivating_or_resetting_the_password_ends_the_open_sessions(
        app: Flask, as_role, change: str, data: dict[str, str]) -> None:
    nurse, admin = as_role("nurse"), as_role("admin")
    with app.app_context():
        from edc.models import User

        user = db.session().scalars(select(User).where(User.username == "nurse")).one()
        user_id, active = user.id, str(user.active)
    kind = "active" if change == "deactivate" else "reset"
    posted = {f"u{user_id}-{kind}-{k}": v for k, v in {**data, "was": active}.items()}
    assert admin.post(f"/admin/users/{user_id}/{change}", data=posted).status_code == 302
    assert nurse.get("/participants/").status_code == 302


# The password policy ------------------------------------------------------------------------------


@pytest.mark.parametrize("password, problem", [
    (" " * 10, "The password is empty or only spaces."),
    ("\u3000" * 10, "The password is empty or only spaces."),
    ("  abc-1234  ", "The password must have at least 10 characters."),
    ("x x x x x x", "The password is one character repeated. Choose one that is hard to guess."),
    ("ababababab", "The password is a short pattern repeated (like abababab). Choose one that "
                   "is hard to guess."),
    ("1212121212", "The password is a short pattern repeated (like abababab). Choose one that "
                   "is hard to guess."),
    (" Abc abc ABC abc a ", "The password is a short pattern repeated (like abababab). Choose "
                            "one that is hard to guess."),
    ("my-li.na-pass", "The password contains the user name. Choose one that does not."),
    ("password2026", "This password is one of the first that anyone guessing tries. "
                     "Choose another."),
    ("woaini5201314", "This password is one of the first that anyone guessing tries. "
                      "Choose another."),
    # What zxcvbn finds within 10^8 guesses, said by the kind of its longest part.
    ("demo-password", "This password is a common password, word or name with little added, "
                      "which a guess tries early. Add a few words of your own, or make it "
                      "longer."),
    ("abababab-x2", "This password is mostly characters or a pattern repeated, which a guess "
                    "tries early. Choose another."),
    ("1111111112", "This password is mostly characters or a pattern repeated, which a guess "
                   "tries early. Choose another."),
    ("abcdefghij1", "This password is mostly a run of letters or digits (like abcd or 4321), "
                    "which a guess tries early. Choose another."),
    ("asdfghjkl;'", "This password is mostly keys side by side on the keyboard (like qwerty "
                    "or 1qaz), which a guess tries early. Choose another."),
    ("19870512ab", "This password is mostly a date or a year, which a guess tries early. "
                   "Choose another."),
])
def test_weak_passwords_are_refused_with_the_reason(app: Flask, password: str,
                                                    problem: str) -> None:
    with app.test_request_context():
        assert accounts.password_problems(password, "li.na") == [problem]
    with app.test_request_context(headers=ZH):
        assert all(not problem.isascii()
                   for problem in accounts.password_problems(password, "li.na"))


@pytest.mark.parametrize("password", [
    "blue kettle on tuesday", "1212 1212 12 x", "Lantern-river-42", "tianqi hen hao ya",
    # Longer than the 72 characters zxcvbn reads: judged on those.
    "the kettle sings on the stove while the rain falls on the tin roof of the ward at night",
])
def test_a_good_password_is_accepted_with_spaces_inside_or_a_repeat_that_breaks_off(
        app: Flask, password: str) -> None:
    with app.test_request_context():
        assert accounts.password_problems(password, "li.na") == []


YOUR_NAME = ("This password is made of your name, the study's or the hospital's, which anyone "
             "guessing here tries first. Choose another.")
COMMON = ("This password is a common password, word or name with little added, which a guess "
          "tries early. Add a few words of your own, or make it longer.")


@pytest.mark.parametrize("password, problem", [
    ("chenjing2026", YOUR_NAME),  # the nurse is Chen Jing
    ("ChenJing@1990", YOUR_NAME),
    ("Ｃｈｅｎｊｉｎｇ２０２６", YOUR_NAME),  # full-width: the same password
    ("广州市妇女儿童医疗中心", YOUR_NAME),  # the hospital, as the family page prints it
    ("hucmsc-alport", YOUR_NAME),
    ("Alport-Syndrome", YOUR_NAME),
    ("wangxiaoming2015", COMMON),  # a pinyin name and a year: another child's, a colleague's
    ("xiaoming2015!", COMMON),
    ("2026年12月4日", "This password is mostly a date or a year, which a guess tries early. "
                    "Choose another."),
])
def test_names_run_together_with_digits_are_refused_as_names(
        app: Flask, nurse: FlaskClient, password: str, problem: str) -> None:
    refused = _change(nurse, PASSWORD, password)
    assert refused.status_code == 422
    assert page(refused).errors["password"] == [problem]
    assert login(app.test_client(), "nurse", PASSWORD).status_code == 302


def test_the_demo_password_printed_in_the_readme_is_refused_for_a_real_account(
        app: Flask, as_role) -> None:
    nurse = as_role("nurse")
    refused = nurse.post("/account/password", data={
        "current": PASSWORD, "password": "demo-password", "repeated": "demo-password"})
    assert refused.status_code == 422
    assert page(refused).errors["password"] == [COMMON]
    assert login(app.test_client(), "nurse").status_code == 302  # the old one still works


YOURS_ZH = "此密码由您的名字、本研究或本医院的名称组成，在这里猜密码的人会最先试这些。请另选一个。"


@pytest.mark.parametrize("password, problem, problem_zh", [
    ("1212121212",
     "The password is a short pattern repeated (like abababab). Choose one that is hard to "
     "guess.", "密码是一小段字符的反复重复（如 abababab）。请另选一个难以猜到的密码。"),
    # The study and the hospital are the first words a guess tries.
    ("hucmsc2026", YOUR_NAME, YOURS_ZH),
    ("Alport-2026", YOUR_NAME, YOURS_ZH),
    ("guangzhou-2026", YOUR_NAME, YOURS_ZH),
    ("nct06731192x", YOUR_NAME, YOURS_ZH),
])
def test_a_weak_password_is_refused_at_the_field_when_an_administrator_creates_an_account(
        as_role, password: str, problem: str, problem_zh: str) -> None:
    admin = as_role("admin")
    form = {"username": "li.na", "role": "nurse", "password": password,
            "full_name": "李娜 Li Na"}
    refused = admin.post("/admin/users/new", data=form)
    assert refused.status_code == 422
    assert page(refused).errors["password"] == [problem]
    zh = admin.post("/admin/users/new", data=form, headers=ZH)
    assert page(zh).errors["password"] == [problem_zh]
    assert "li.na" not in page(admin.get("/admin/users")).text


# HTTPS and the reverse proxy ----------------------------------------------------------------------


def test_over_https_the_cookie_is_secure_and_browsers_are_told_to_keep_to_https(
        app: Flask) -> None:
    https = app.test_client()
    response = https.post("/login", data={"username": "nurse", "password": PASSWORD},
                          base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = login(app.test_client(), "nurse")
    assert "Secure" not in plain.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in plain.headers


def test_forwarded_headers_count_only_with_the_proxy_hops_configured(
        app: Flask, database_url: str, study, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.apps import make_app

    forwarded = {"X-Forwarded-For": "127.0.0.99", "X-Forwarded-Proto": "https"}
    # Without the setting, a client cannot claim another address or HTTPS.
    direct = app.test_client().post("/login", data={"username": "x", "password": "y"},
                                    headers=forwarded)
    assert "Strict-Transport-Security" not in direct.headers
    proxied_app = make_app(database_url, study, monkeypatch, users=(), PROXY_HOPS=1)
    try:
        proxied = proxied_app.test_client().post(
            "/login", data={"username": "nurse", "password": PASSWORD}, headers=forwarded)
    finally:
        proxied_app.extensions["edc_engine"].dispose()
    assert proxied.status_code == 302
    assert proxied.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in proxied.headers["Set-Cookie"]
    assert [a[1] for a in _attempts(app)] == ["127.0.0.1", "127.0.0.99"]


def test_a_database_server_without_a_configured_secret_key_refuses_to_start(study) -> None:
    with pytest.raises(ConfigurationError, match="EDC_SECRET_KEY"):
        create_app({"DATABASE_URL": "postgresql://edc@localhost/edc", "STUDY": study})


# Changing one's own password ----------------------------------------------------------------------


def _change(client: FlaskClient, current: str, new: str, repeated: str | None = None, **kw):
    return client.post("/account/password", data={
        "current": current, "password": new,
        "repeated": new if repeated is None else repeated}, **kw)


def test_a_nurse_changes_her_password_and_her_other_sessions_end(app: Flask, as_role) -> None:
    here, elsewhere = as_role("nurse"), as_role("nurse")
    assert "Change my password" in here.get("/account/password").text
    response = _change(here, PASSWORD, "blue kettle on tuesday")
    assert response.status_code == 302
    assert "Your password is changed" in here.get(response.location).text
    assert here.get("/participants/").status_code == 200
    assert elsewhere.get("/participants/").status_code == 302
    assert login(app.test_client(), "nurse", PASSWORD).status_code == 401
    assert login(app.test_client(), "nurse", "blue kettle on tuesday").status_code == 302
    with app.app_context():
        [row] = db.session().scalars(select(AuditEvent).where(
            AuditEvent.entity == "user", AuditEvent.field == "password_hash")
            .order_by(AuditEvent.id.desc()).limit(1)).all()
    assert (row.username, row.reason) == ("nurse", "Password changed by its owner")


@pytest.mark.parametrize("current, new, repeated, field, message", [
    ("wrong-one", "blue kettle on tuesday", None, "current",
     "This is not your current password."),
    (PASSWORD, "nurse-2026-nurse", None, "password",
     "The password contains the user name. Choose one that does not."),
    (PASSWORD, "   ", None, "password", "The password is empty or only spaces."),
    (PASSWORD, "blue kettle on tuesday", "blue kettle on monday", "repeated",
     "The two new passwords differ. Type the same one twice."),
    (PASSWORD, PASSWORD, None, "password",
     "The new password is the current one. Choose another."),
])
def test_a_refused_password_change_says_why_at_the_field_and_keeps_the_old_password(
        app: Flask, nurse: FlaskClient, current: str, new: str, repeated: str | None,
        field: str, message: str) -> None:
    response = _change(nurse, current, new, repeated)
    assert response.status_code == 422
    assert page(response).errors[field] == [message]
    zh = _change(nurse, current, new, repeated, headers=ZH)
    assert all(not m.isascii() for m in page(zh).errors[field])
    assert login(app.test_client(), "nurse", PASSWORD).status_code == 302


def test_an_account_locked_after_wrong_passwords_at_signing_is_refused_and_the_attempt_kept(
        app: Flask) -> None:
    from sqlalchemy import update

    from edc.models import User

    with app.app_context():
        db.session().execute(update(User).where(User.username == "investigator")
                             .values(locked_until=utcnow() + timedelta(minutes=10)))
        db.session().commit()
    response = login(app.test_client(), "investigator")
    assert response.status_code == 401
    assert _alert(response).startswith(
        "This account is locked after 5 wrong passwords typed while logged in.")
    assert _attempts(app) == [("investigator", "127.0.0.1", "failed")]


# Guesses that arrive at the same time -------------------------------------------------------------


def test_guesses_at_one_name_from_many_computers_at_once_check_no_more_passwords_than_the_limit(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    computers = 16
    checks: list[str] = []
    real = accounts.check_password_hash

    def slow_check(hashed: str, typed: str) -> bool:
        checks.append(typed)
        time.sleep(0.05)  # as long as the real hash takes: the guesses overlap in time
        return real(hashed, typed)

    monkeypatch.setattr(accounts, "check_password_hash", slow_check)
    start = threading.Barrier(computers)
    statuses: list[int] = []

    def guess(n: int) -> None:
        computer = _at(app, f"127.0.3.{n}")
        start.wait()
        statuses.append(login(computer, "nurse", f"guess{n}").status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(computers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # However the posts interleave, five passwords are checked and the rest wait unchecked.
    assert len(checks) == 5
    assert sorted(statuses) == [401] * 4 + [429] * (computers - 4)
    assert [outcome for *_, outcome in _attempts(app)].count("failed") == 5


def test_the_right_password_on_the_guess_that_reaches_the_limit_starts_no_wait(
        app: Flask) -> None:
    # Guessed at four times elsewhere; the nurse then logs in from a computer new to her.
    for n in range(4):
        assert _alert(login(_at(app, f"127.0.4.{n}"), "nurse", "guess")) == WRONG
    assert login(_at(app, "127.0.4.50"), "nurse").status_code == 302
    # Her log-in was not counted as the fifth failure: the next wrong guess is the fifth.
    fifth = login(_at(app, "127.0.4.9"), "nurse", "guess")
    assert (fifth.status_code, _alert(fifth)) == (429, (
        "Wrong user name or password. Too many failed log-ins for this user name from other "
        "computers: try again in 5 minutes, or log in from the computer you usually use."))


# An administrator lifts a computer's wait ---------------------------------------------------------


def _make_wait(app: Flask, address: str) -> FlaskClient:
    computer = _at(app, address)
    for n in range(10):
        login(computer, f"name{n}", "guess")
    assert login(computer, "nurse").status_code == 429
    return computer


def _lift_form(admin: FlaskClient, address: str) -> tuple[str, dict[str, str]]:
    """The lift form of a computer's row as the administrator's page shows it."""
    shown = admin.get("/admin/users")
    row = re.search(rf'<tr data-address="{re.escape(address)}">(.*?)</tr>', shown.text, re.S)
    assert row, f"Got no row for computer {address}. Expected one.\n{shown.text}"
    action = unescape(re.search(r'action="([^"]+)"', row.group(1)).group(1))
    was = re.search(r'name="(w[0-9a-f]+-was)"[^>]*value="([^"]*)"', row.group(1))
    return action, {was.group(1): unescape(was.group(2))}


def test_an_administrator_lifts_a_computers_wait_saying_why_and_the_trail_keeps_it(
        app: Flask, as_role) -> None:
    ward = _make_wait(app, "127.0.5.1")
    _make_wait(app, "127.0.5.2")
    admin = as_role("admin")
    assert [row[0] for row in page(admin.get("/admin/users")).table_rows
            if row and row[0].startswith("127.0.5.")] == ["127.0.5.2", "127.0.5.1"]
    action, form = _lift_form(admin, "127.0.5.1")
    # Without a reason nothing is lifted, and the page says so at the field.
    refused = admin.post(action, data=form)
    assert refused.status_code == 422
    assert [m for ms in page(refused).errors.values() for m in ms] == ["Say why."]
    assert login(ward, "nurse").status_code == 429
    reason = form | {next(iter(form)).replace("-was", "-reason"): "Ward computer, nurses mistyped"}
    done = admin.post(action, data=reason)
    assert done.status_code == 302
    assert ("success", "The computer 127.0.5.1 may try to log in again now.") in page(
        admin.get(done.location)).flashes
    assert login(ward, "nurse").status_code == 302
    # The other computer still waits.
    assert login(_at(app, "127.0.5.2"), "nurse").status_code == 429
    with app.app_context():
        [event] = db.session().scalars(select(AuditEvent).where(
            AuditEvent.entity == "login_throttle")).all()
    assert (event.username, event.reason, event.action, event.new) == (
        "admin", "Ward computer, nurses mistyped", "delete", "127.0.5.1")


def test_a_wait_that_changed_since_the_page_was_opened_is_not_lifted_unseen(
        app: Flask, as_role, monkeypatch: pytest.MonkeyPatch) -> None:
    computer = _make_wait(app, "127.0.5.3")
    admin = as_role("admin")
    action, form = _lift_form(admin, "127.0.5.3")
    form[next(iter(form)).replace("-was", "-reason")] = "Nurses mistyped"
    # The wait ends and a further failure starts a longer one before the administrator posts.
    _later(monkeypatch, 1.5)
    login(computer, "name10", "guess")
    clash = admin.post(action, data=form)
    assert clash.status_code == 409
    assert ("error", "The wait of the computer 127.0.5.3 changed after you opened this page "
            "(another failed log-in). Nothing was changed: look at it again and repeat the "
            "change if it is still needed.") in page(clash).flashes
    assert login(computer, "nurse").status_code == 429
    # Looked at again, it is lifted; posted once more, the administrator reads that it is done.
    action, form = _lift_form(admin, "127.0.5.3")
    form[next(iter(form)).replace("-was", "-reason")] = "Nurses mistyped"
    assert admin.post(action, data=form).status_code == 302
    again = admin.post(action, data=form, headers=ZH)
    assert again.status_code == 409
    assert ("error", "电脑 127.0.5.3 已不再等待：等待已结束，或已由另一位管理员解除。未作任何更改。"
            ) in page(again).flashes
    assert login(computer, "nurse").status_code == 302


def test_only_an_administrator_lifts_a_wait_and_only_with_the_pages_security_token(
        database_url: str, study, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.apps import make_app

    app = make_app(database_url, study, monkeypatch, WTF_CSRF_ENABLED=True)
    try:
        computer = _at(app, "127.0.5.4")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          computer.get("/login").text).group(1)
        for n in range(10):
            computer.post("/login", data={"username": f"n{n}", "password": "x",
                                          "csrf_token": token})
        admin = app.test_client()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          admin.get("/login").text).group(1)
        admin.post("/login", data={"username": "admin", "password": PASSWORD,
                                   "csrf_token": token})
        action, form = _lift_form(admin, "127.0.5.4")
        prefix = next(iter(form)).removesuffix("-was")
        form[f"{prefix}-reason"] = "Ward computer"
        assert admin.post(action, data=form).status_code == 400  # no token: refused
        shown = admin.get("/admin/users").text
        form[f"{prefix}-csrf_token"] = re.search(
            rf'name="{prefix}-csrf_token" type="hidden" value="([^"]+)"', shown).group(1)
        nurse = app.test_client()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          nurse.get("/login").text).group(1)
        nurse.post("/login", data={"username": "nurse", "password": PASSWORD,
                                   "csrf_token": token})
        mine = re.search(r'csrf_token" type="hidden" value="([^"]+)"',
                         nurse.get("/account/password").text).group(1)
        assert nurse.post(action, data=form | {f"{prefix}-csrf_token": mine}).status_code == 403
        assert "127.0.5.4" in admin.get("/admin/users").text
        assert admin.post(action, data=form).status_code == 302
        assert "127.0.5.4" not in page(admin.get("/admin/users")).text.split(
            "Log-in attempts")[1].split("Newest first")[0]
    finally:
        app.extensions["edc_engine"].dispose()


def test_wrong_passwords_typed_at_an_open_session_do_not_keep_its_person_off_their_computer(
        app: Flask, nurse: FlaskClient) -> None:
    """Someone at the nurse's open session types five wrong passwords: the account is locked
    for other computers and for password checks, but the nurse's own browser (it proves her
    name) still logs her in, and her log-in (her password on her computer) lifts the lock."""
    for _ in range(4):
        assert _change(nurse, "not-her-password", "Wide-harbour-77").status_code == 422
    fifth = _change(nurse, "not-her-password", "Wide-harbour-77")
    assert page(fifth).errors["current"] == [
        "Too many wrong passwords: this account is locked for 15 minutes and logged out. Its "
        "person logs in again from their own computer."]
    # Whoever typed them is logged out: the open session no longer reaches a page.
    assert nurse.get("/").status_code == 302
    locked = "This account is locked after 5 wrong passwords typed while logged in."
    elsewhere = login(app.test_client(), "nurse", PASSWORD)
    assert elsewhere.status_code == 401 and _alert(elsewhere).startswith(locked)
    # Her browser: logged out, then in again with her password.
    assert nurse.post("/logout").status_code == 302
    assert login(nurse, "nurse", PASSWORD).status_code == 302
    assert nurse.get("/").status_code == 200
    assert _change(nurse, PASSWORD, "Wide-harbour-77").status_code == 302
