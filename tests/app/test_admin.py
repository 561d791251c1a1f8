"""The administrator's pages as a trial uses them: accounts created under the password policy,
roles changed, passwords reset, accounts deactivated and unlocked, each audited with the
administrator as actor; the study definition in force; all of it refused to every other role.
What a blinded administrator may not do to an unblinded account, and the allocation list, are in
test_unblinded_duties.py."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import update as db_update

from edc import db
from edc.app import context_for
from edc.models import User, utcnow
from edc.permissions import Role
from edc.services import Operator, Refused, accounts
from tests.support import factories
from tests.support.apps import PASSWORD, login, make_app
from tests.support.audit import audit_count, audit_rows
from tests.support.pages import page

NEW_PASSWORD = "Lantern-river-42"


@pytest.fixture
def admin(as_role) -> FlaskClient:
    return as_role("admin")


def user(app: Flask, username: str) -> User:
    with app.app_context():
        found = db.session().scalars(select(User).where(User.username == username)).one()
        db.session().expunge(found)
        return found


def own_password(client: FlaskClient, current: str, new: str):
    """Replace one's own password on the account page, as its person does."""
    return client.post("/account/password", data={"current": current, "password": new,
                                                  "repeated": new})


def create(admin: FlaskClient, username: str, password: str, role: str = "nurse",
           full_name: str = "王丽 Wang Li") -> Any:
    return admin.post("/admin/users/new", data={"username": username, "role": role,
                                                "password": password, "full_name": full_name})


def change(admin: FlaskClient, app: Flask, username: str, what: str, **data: str) -> Any:
    """Post one account's form (role, deactivate, reactivate, password, unlock) as the users
    page hands it out: its fields carry the account's prefix."""
    account = user(app, username)
    kind = {"deactivate": "active", "reactivate": "active", "password": "reset"}.get(what, what)
    prefix = f"u{account.id}-{kind}-"
    shown = {"role": {"was": account.role}, "active": {"was": str(account.active)}}.get(kind, {})
    return admin.post(f"/admin/users/{account.id}/{what}",
                      data={prefix + k: v for k, v in {**shown, **data}.items()})


@pytest.mark.parametrize(("password", "message"), [
    ("short-1", "The password must have at least 10 characters."),
    ("aaaaaaaaaaaa", "The password is one character repeated. Choose one that is hard to guess."),
    ("wang.li-2026", "The password contains the user name. Choose one that does not."),
    ("Password123", "This password is one of the first that anyone guessing tries. "
                    "Choose another."),
    ("１２３４５６７８９０", "This password is one of the first that anyone guessing tries. "
                           "Choose another."),
    (" " * 10, "Enter a temporary password."),
    ("   short-12   ", "The password must have at least 10 characters."),
    ("a a a a a a a", "The password is one character repeated. Choose one that is hard to guess."),
    ("Welcome2026!", "This password is one of the first that anyone guessing tries. "
                     "Choose another."),
])
def test_a_weak_password_is_refused_at_its_field_with_the_typing_kept(
        app: Flask, admin: FlaskClient, password: str, message: str) -> None:
    response = create(admin, "wang.li", password)
    assert response.status_code == 422
    shown = page(response)
    assert shown.errors["password"] == [message]
    assert (shown.value("username"), shown.selected["role"], shown.value("password")) == (
        "wang.li", "nurse", password)
    assert not audit_rows(app, entity="user", field="username", new="wang.li")


def test_the_admin_creates_a_nurse_who_then_logs_in(
        app: Flask, admin: FlaskClient, client: FlaskClient) -> None:
    listed = page(admin.get("/"))
    assert "Users" in listed.text
    # Typed with a Chinese keyboard in full-width mode: the same password as its ASCII twin.
    response = create(admin, "wang.li", "Ｌａｎｔｅｒｎ－ｒｉｖｅｒ－４２")
    assert response.status_code == 302, page(response).errors
    assert ("success", "Account wang.li created. Give its person the temporary password.") in \
        page(admin.get(response.location)).flashes
    rows = {r.field: r for r in audit_rows(app, entity="user", username="admin")}
    assert (rows["username"].new, rows["role"].new, rows["password_hash"].new,
            rows["full_name"].new) == ("wang.li", "nurse", "(changed)", "王丽 Wang Li")
    assert rows["username"].reason == "Account created"
    # The temporary password only lets its person choose their own: whoever typed it knows it.
    assert login(client, "wang.li", NEW_PASSWORD).status_code == 302
    first = client.get("/")
    assert (first.status_code, first.location) == (302, "/account/password")
    told = page(client.get(first.location))
    assert ("warning", "Your password was set by an administrator. Choose your own password "
                       "to go on.") in told.flashes
    for path in ("/participants/", "/queries", "/clinic/calendar/subscription"):
        assert client.get(path).location == "/account/password", path
    before = audit_count(app)
    assert client.post("/queries/new", data={"text": "x"}).location == "/account/password"
    assert audit_count(app) == before
    assert user(app, "wang.li").password_temporary is True
    assert own_password(client, NEW_PASSWORD, "Wide-harbour-77").status_code == 302
    assert client.get("/").status_code == 200
    assert user(app, "wang.li").password_temporary is False
    accounts = page(admin.get("/admin/users"))
    assert ["wang.li", "王丽 Wang Li", "nurse", "yes"] == next(
        r[:4] for r in accounts.table_rows if r and r[0] == "wang.li")
    taken = create(admin, "wang.li", NEW_PASSWORD)
    assert page(taken).errors["username"] == ["User wang.li already exists."]
    # A name that reads the same in other capitals or in full width is the same person's.
    for look_alike in ("Wang.Li", "ＷＡＮＧ.ｌｉ"):
        assert page(create(admin, look_alike, NEW_PASSWORD)).errors["username"] == [
            "User wang.li already exists."]


def test_role_change_password_reset_deactivation_and_unlock_are_audited(
        app: Flask, admin: FlaskClient, as_role) -> None:
    # A role, changed with a reason.
    assert page(change(admin, app, "nurse", "role", role="investigator", reason="")).errors[
        f"u{user(app, 'nurse').id}-role-reason"] == ["Say why."]
    assert change(admin, app, "nurse", "role", role="investigator",
                  reason="Appointed sub-investigator").status_code == 302
    assert user(app, "nurse").role == "investigator"
    [row] = audit_rows(app, entity="user", field="role", username="admin")
    assert (row.username, row.old, row.new, row.reason) == (
        "admin", "nurse", "investigator", "Appointed sub-investigator")

    # A password, reset to a temporary one under the same policy.
    weak = change(admin, app, "monitor", "password", password="monitor-2026!")
    assert weak.status_code == 422
    field = f"u{user(app, 'monitor').id}-reset-password"
    assert page(weak).errors[field] == [
        "The password contains the user name. Choose one that does not."]
    assert page(weak).value(field) == "monitor-2026!"
    assert change(admin, app, "monitor", "password", password=NEW_PASSWORD).status_code == 302
    assert login(FlaskClient(app), "monitor").status_code == 401
    reset = FlaskClient(app)
    assert login(reset, "monitor", NEW_PASSWORD).status_code == 302
    # The administrator knows it: the monitor chooses their own before anything else.
    assert reset.get("/queries").location == "/account/password"
    assert own_password(reset, NEW_PASSWORD, "Wide-harbour-77").status_code == 302
    assert reset.get("/queries").status_code == 200
    [row] = audit_rows(app, entity="user", field="password_hash", username="admin",
                       reason="Password reset by an administrator")
    assert row.new == "(changed)"

    # Deactivated: cannot log in, and a session already open ends at its next page.
    their_session = as_role("investigator")
    assert their_session.get("/").status_code == 200
    assert change(admin, app, "investigator", "deactivate",
                  reason="Left the hospital").status_code == 302
    assert their_session.get("/").status_code == 302
    assert login(FlaskClient(app), "investigator").status_code == 401
    [row] = audit_rows(app, entity="user", field="active", username="admin")
    assert (row.username, row.old, row.new, row.reason) == ("admin", "yes", "no",
                                                            "Left the hospital")
    assert "Reactivate" in page(admin.get("/admin/users")).text
    assert change(admin, app, "investigator", "reactivate", reason="Back").status_code == 302
    assert login(FlaskClient(app), "investigator").status_code == 302

    # Five failed log-ins from another computer make the name wait there; the admin lifts it.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "127.0.0.7"
    for _ in range(5):
        login(elsewhere, "investigator", "wrong password")
    assert login(elsewhere, "investigator").status_code == 429
    assert "waits after failed log-ins" in page(admin.get("/admin/users")).text
    assert change(admin, app, "investigator", "unlock").status_code == 302
    assert login(elsewhere, "investigator").status_code == 302
    # A lock after wrong passwords at signing is lifted the same way, and audited.
    with app.app_context():
        db.session().execute(db_update(User).where(User.username == "investigator")
                             .values(locked_until=utcnow() + timedelta(minutes=10)))
        db.session().commit()
    assert login(FlaskClient(app), "investigator").status_code == 401
    assert change(admin, app, "investigator", "unlock").status_code == 302
    assert user(app, "investigator").locked_until is None
    assert login(FlaskClient(app), "investigator").status_code == 302
    assert audit_rows(app, entity="user", username="admin", reason="Account unlocked")


def test_an_admin_cannot_lock_themselves_or_the_last_admin_out(
        app: Flask, admin: FlaskClient) -> None:
    own = "You cannot deactivate your own account or change your own role: ask another " \
          "administrator."
    refused = change(admin, app, "admin", "deactivate", reason="Leaving")
    assert refused.status_code == 422
    assert ("error", own) in page(refused).flashes
    refused = change(admin, app, "admin", "role", role="nurse", reason="Demoted")
    assert ("error", own) in page(refused).flashes
    assert (user(app, "admin").active, user(app, "admin").role) == (True, "admin")
    # Another administrator may deactivate this one; the last active administrator stays.
    assert create(admin, "chen.admin", NEW_PASSWORD, role="admin").status_code == 302
    second = FlaskClient(app)
    assert login(second, "chen.admin", NEW_PASSWORD).status_code == 302
    assert own_password(second, NEW_PASSWORD, "Wide-harbour-77").status_code == 302
    assert change(second, app, "admin", "deactivate", reason="Left").status_code == 302
    with app.app_context():
        ctx = context_for(Operator("cli:root"))
        last = ctx.session.scalars(select(User).where(User.username == "chen.admin")).one()
        with pytest.raises(Refused) as refused:
            accounts.set_active(ctx, last, False, "Leaving")
        assert refused.value.messages == [
            "chen.admin is the last active administrator: make another account an "
            "administrator first."]
        with pytest.raises(Refused):
            accounts.change_role(ctx, last, "monitor", "Moved")
    assert user(app, "chen.admin").role == "admin"


def test_a_change_from_a_page_showing_another_state_is_refused(
        app: Flask, admin: FlaskClient) -> None:
    account = user(app, "nurse")
    stale = admin.post(f"/admin/users/{account.id}/role", data={
        f"u{account.id}-role-role": "monitor", f"u{account.id}-role-reason": "Moved",
        f"u{account.id}-role-was": "investigator"})
    assert stale.status_code == 422
    assert any("was changed by someone else" in m for _, m in page(stale).flashes)
    assert user(app, "nurse").role == "nurse"


def test_the_study_page_shows_every_form_item_and_visit_of_the_definition(
        app: Flask, admin: FlaskClient) -> None:
    definition = app.extensions["edc_study"]
    shown = admin.get("/admin/study").text
    assert definition.info.id in shown
    for visit in definition.schedule.visits:
        assert f'data-visit="{visit.code}"' in shown and visit.label in shown
    forms = [definition.enrolment_form, definition.results, definition.termination.form,
             *(log.form for log in definition.logs)]
    for form in forms:
        assert f'data-form="{form.file}"' in shown and form.title in shown
        for item in form.fields:
            assert f'data-item="{item.key}"' in shown
    assert "µmol/L" in shown  # creatinine's units
    zh = admin.get("/admin/study", headers={"Accept-Language": "zh-CN"}).text
    assert definition.results.title_zh in zh


@pytest.mark.parametrize("role", [r.value for r in Role if r != Role.ADMIN])
def test_every_admin_page_is_refused_to_every_other_role(app: Flask, as_role,
                                                         role: str) -> None:
    client = as_role(role)
    target = user(app, "nurse").id
    assert "/admin/users" not in client.get("/").text
    for url in ("/admin/users", "/admin/study", "/admin/lock"):
        assert client.get(url).status_code == 403, url
    for url in ("/admin/users/new", f"/admin/users/{target}/role",
                f"/admin/users/{target}/deactivate", f"/admin/users/{target}/reactivate",
                f"/admin/users/{target}/password", f"/admin/users/{target}/unlock",
                "/admin/lock", "/admin/unlock"):
        assert client.post(url, data={}).status_code == 403, url
    assert login(FlaskClient(app), "nurse", PASSWORD).status_code == 302


TOKEN = re.compile(r'<input[^>]*\bname="([^"]*csrf_token)"[^>]*\bvalue="([^"]*)"')


def test_every_admin_form_carries_the_security_token(database_url, study, monkeypatch) -> None:
    app = make_app(database_url, study, monkeypatch, WTF_CSRF_ENABLED=True, allocation=True)
    pid = factories.child(app, "scheduled")
    try:
        client = app.test_client()
        token = client.get("/login").text.split('name="csrf_token" type="hidden" value="')[1]
        client.post("/login", data={"username": "admin", "password": PASSWORD,
                                    "csrf_token": token.split('"')[0]})
        users = client.get("/admin/users").text
        forms = users.count("<form")
        assert forms >= 2 + 4 and len(TOKEN.findall(users)) == forms
        for url in ("/admin/lock", f"/participants/{pid}"):
            shown = client.get(url).text
            assert len(TOKEN.findall(shown)) == shown.count("<form"), url
        target = user(app, "nurse").id
        data = {f"u{target}-active-reason": "Left", f"u{target}-active-was": "True"}
        assert client.post(f"/admin/users/{target}/deactivate", data=data).status_code == 400
        name = f"u{target}-active-csrf_token"
        token = dict((n, v) for n, v in TOKEN.findall(users))[name]
        assert client.post(f"/admin/users/{target}/deactivate",
                           data={**data, name: token}).status_code == 302
        assert client.post("/admin/lock", data={"reason": "x"}).status_code == 400
    finally:
        app.extensions["edc_engine"].dispose()


def test_an_account_is_made_with_its_persons_name_and_the_name_is_corrected_with_a_reason(
        app: Flask, admin: FlaskClient) -> None:
    refused = create(admin, "wang.li", NEW_PASSWORD, full_name="\u3000 ")
    assert refused.status_code == 422
    assert page(refused).errors["full_name"] == ["Enter the person's full name."]
    assert page(refused).value("username") == "wang.li"
    assert create(admin, "wang.li", NEW_PASSWORD).status_code == 302
    account = user(app, "wang.li")
    prefix = f"u{account.id}-name-"
    shown = page(admin.get("/admin/users")).value(prefix + "was")
    assert shown == "王丽 Wang Li"
    no_reason = admin.post(f"/admin/users/{account.id}/name", data={
        prefix + "full_name": "王莉 Wang Li", prefix + "was": shown})
    assert no_reason.status_code == 422 and user(app, "wang.li").full_name == "王丽 Wang Li"
    assert admin.post(f"/admin/users/{account.id}/name", data={
        prefix + "full_name": "  王莉   Wang Li ", prefix + "reason": "Typing error",
        prefix + "was": shown}).status_code == 302
    assert user(app, "wang.li").full_name == "王莉 Wang Li"
    [row] = audit_rows(app, entity="user", field="full_name", username="admin",
                       reason="Typing error")
    assert (row.old, row.new) == ("王丽 Wang Li", "王莉 Wang Li")
    # From a page that showed the old name: refused, nothing changed.
    stale = admin.post(f"/admin/users/{account.id}/name", data={
        prefix + "full_name": "Wang Li", prefix + "reason": "Badge", prefix + "was": shown})
    assert stale.status_code == 422
    assert "was changed by someone else after you opened this page" in page(stale).text
    assert user(app, "wang.li").full_name == "王莉 Wang Li"


def test_a_role_not_in_the_list_names_only_the_roles_the_administrator_may_give(
        app: Flask, admin: FlaskClient) -> None:
    refused = change(admin, app, "nurse", "role", role="head-nurse", reason="Promoted")
    assert refused.status_code == 422
    assert page(refused).errors[f"u{user(app, 'nurse').id}-role-role"] == [
        "Got role 'head-nurse'. Expected one of: admin, investigator, nurse, monitor."]
    assert user(app, "nurse").role == "nurse"
