"""A blinded administrator cannot unblind themselves: they never make, become or take over an
account that sees the arms (each attempt refused at its field, saying how it is done at the
server console, and kept in the audit trail), and never load or read the allocation list, which
the unblinded role (or the console) only extends after its end."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db
from edc.app import context_for
from edc.models import Allocation, User
from edc.permissions import Role, blinded
from edc.services import Operator, Refused, accounts, load_allocation
from tests.support.apps import login
from tests.support.audit import audit_rows
from tests.support.pages import giveaways, page

NEW_PASSWORD = "Lantern-river-42"
CREATE = ("An unblinded account sees every child's arm, so it is not created here. The "
          "hospital's IT creates it at the server console: edc create-user {name} --role "
          "unblinded.")
GIVE = ("The unblinded role is not given here: an account that sees the arms is managed only "
        "at the server console. The hospital's IT creates a separate unblinded account there: "
        "edc create-user NAME --role unblinded.")
TAKE = ("{name} sees the arms: its role is not changed here. The hospital's IT deactivates it at "
        "the server console (edc deactivate-user {name} --reason TEXT); its person then gets a "
        "blinded account here.")
RESET = ("{name} sees the arms: its password is not reset here, since whoever set it could log "
         "in and read them. The hospital's IT resets it at the server console: edc "
         "reset-password {name}.")
ACTIVE = ("{name} sees the arms: the account is not deactivated or reactivated here. The "
          "hospital's IT does it at the server console: edc deactivate-user {name} --reason "
          "TEXT, or edc reactivate-user {name} --reason TEXT.")
REFUSED = "Refused: an account that sees the arms is managed only at the server console"


@pytest.fixture
def admin(as_role) -> FlaskClient:
    return as_role("admin")


def user(app: Flask, username: str) -> User | None:
    with app.app_context():
        found = db.session().scalars(select(User).where(User.username == username)).first()
        if found is not None:
            db.session().expunge(found)
        return found


def post(admin: FlaskClient, app: Flask, username: str, what: str, **data: str) -> Any:
    """Post one account's form as the users page would have it (each field with its prefix)."""
    account = user(app, username)
    kind = {"deactivate": "active", "reactivate": "active", "password": "reset"}.get(what, what)
    prefix = f"u{account.id}-{kind}-"
    shown = {"role": {"was": account.role}, "active": {"was": str(account.active)}}.get(kind, {})
    return admin.post(f"/admin/users/{account.id}/{what}",
                      data={prefix + k: v for k, v in {**shown, **data}.items()})


def refusals(app: Flask) -> list[tuple[str, str | None, str | None]]:
    """The refused attempts the trail keeps: who, what was asked, of which account."""
    return [(r.username, r.field, r.new)
            for r in audit_rows(app, entity="user", action="refused", reason=REFUSED)]


def test_the_admin_cannot_create_an_unblinded_account_and_is_told_how(
        app: Flask, admin: FlaskClient) -> None:
    shown = page(admin.get("/admin/users"))
    # The role is not even offered; the field says where such an account is made.
    assert "unblinded" not in [value for value, _text in shown.options["role"]]
    assert "edc create-user NAME --role unblinded" in shown.text
    response = admin.post("/admin/users/new", data={
        "username": "li.pharm", "role": "unblinded", "password": NEW_PASSWORD,
        "full_name": "李强 Li Qiang"})
    assert response.status_code == 422
    refused = page(response)
    assert refused.errors["role"] == [CREATE.format(name="li.pharm")]
    assert (refused.value("username"), refused.value("password")) == ("li.pharm", NEW_PASSWORD)
    assert user(app, "li.pharm") is None
    assert login(FlaskClient(app), "li.pharm", NEW_PASSWORD).status_code == 401
    assert refusals(app) == [("admin", "username", "li.pharm")]
    # In Chinese for a reader of Chinese.
    chinese = page(admin.post("/admin/users/new", headers={"Accept-Language": "zh-CN"}, data={
        "username": "li.pharm", "role": "unblinded", "password": NEW_PASSWORD,
        "full_name": "李强 Li Qiang"}))
    assert chinese.errors["role"] == [
        "非盲账户能看到每名患儿的组别，因此不能在此创建。请由医院信息科在服务器控制台创建："
        "edc create-user li.pharm --role unblinded。"]
    # Every blinded role stays the admin's to give.
    assert admin.post("/admin/users/new", data={
        "username": "li.mon", "role": "monitor", "password": NEW_PASSWORD,
        "full_name": "李梅 Li Mei"}).status_code == 302


def test_the_admin_cannot_give_the_unblinded_role_nor_take_it_away(
        app: Flask, admin: FlaskClient) -> None:
    nurse = user(app, "nurse")
    given = post(admin, app, "nurse", "role", role="unblinded", reason="Helps the pharmacy")
    assert given.status_code == 422
    assert page(given).errors[f"u{nurse.id}-role-role"] == [GIVE]
    assert user(app, "nurse").role == "nurse"
    # Taken away and then a blinded account's password reset: the way in that this closes.
    taken = post(admin, app, "unblinded", "role", role="nurse", reason="Moved to the ward")
    assert taken.status_code == 422
    assert ("error", TAKE.format(name="unblinded")) in page(taken).flashes
    assert user(app, "unblinded").role == "unblinded"
    assert login(FlaskClient(app), "unblinded").status_code == 302
    assert refusals(app) == [("admin", "role", "nurse"), ("admin", "role", "unblinded")]
    assert not audit_rows(app, entity="user", field="role", username="admin", action="update")


def test_the_admin_cannot_reset_the_password_of_an_unblinded_account(
        app: Flask, admin: FlaskClient, as_role) -> None:
    pharmacist = as_role("unblinded")
    refused = post(admin, app, "unblinded", "password", password=NEW_PASSWORD)
    assert refused.status_code == 422
    assert ("error", RESET.format(name="unblinded")) in page(refused).flashes
    assert login(FlaskClient(app), "unblinded", NEW_PASSWORD).status_code == 401
    assert login(FlaskClient(app), "unblinded").status_code == 302
    assert pharmacist.get("/").status_code == 200  # its session goes on
    assert refusals(app) == [("admin", "password_hash", "unblinded")]
    # A blinded account's password is still the admin's to reset.
    assert post(admin, app, "monitor", "password", password=NEW_PASSWORD).status_code == 302


def test_the_admin_cannot_deactivate_or_reactivate_an_unblinded_account(
        app: Flask, admin: FlaskClient, as_role) -> None:
    pharmacist = as_role("unblinded")
    refused = post(admin, app, "unblinded", "deactivate", reason="Left")
    assert refused.status_code == 422
    assert ("error", ACTIVE.format(name="unblinded")) in page(refused).flashes
    assert user(app, "unblinded").active is True
    assert pharmacist.get("/").status_code == 200
    with app.app_context():
        ctx = context_for(Operator("cli:root"))
        accounts.set_active(ctx, accounts.account(ctx, "unblinded"), False, "Left")
    again = post(admin, app, "unblinded", "reactivate", reason="Back")
    assert ("error", ACTIVE.format(name="unblinded")) in page(again).flashes
    assert user(app, "unblinded").active is False
    assert refusals(app) == [("admin", "active", "unblinded")] * 2


def test_the_users_page_offers_no_change_of_an_unblinded_account_to_the_admin(
        app: Flask, admin: FlaskClient) -> None:
    target = user(app, "unblinded").id
    shown = admin.get("/admin/users").text
    panel = shown.split(f'id="user-{target}"', 1)[1].split("</details>", 1)[0]
    assert "<form" not in panel
    assert ("unblinded sees the arms: its role, password and activity are changed only at the "
            "server console, by the hospital's IT (edc reset-password unblinded; edc "
            "deactivate-user unblinded --reason TEXT).") in " ".join(panel.split())
    nurse = user(app, "nurse").id
    assert f"/admin/users/{nurse}/password" in shown
    assert f"/admin/users/{target}/password" not in shown
    # Nor its person's name: a hand-made request is refused, and the console says how.
    refused = admin.post(f"/admin/users/{target}/name", data={
        f"u{target}-name-full_name": "Someone Else", f"u{target}-name-reason": "Typo"})
    assert refused.status_code == 422
    assert ("unblinded sees the arms: the account is changed only at the server console, by "
            "the hospital's IT: edc set-name unblinded --name NAME --reason TEXT.") in (
        " ".join(page(refused).text.split()))
    assert user(app, "unblinded").full_name == "Zhang Wei"


def test_the_console_and_the_unblinded_role_may_manage_an_unblinded_account(app: Flask) -> None:
    with app.app_context():
        ctx = context_for(Operator("cli:root"))
        made = accounts.create_user(ctx, "li.pharm", "unblinded", NEW_PASSWORD)
        accounts.reset_password(ctx, made, "Another-river-43")
        accounts.change_role(ctx, made, "nurse", "Moved to the ward")
        accounts.change_role(ctx, made, "unblinded", "Back to the pharmacy")
        accounts.set_active(ctx, made, False, "Left")
        accounts.set_active(ctx, made, True, "Back")
        accounts.set_full_name(ctx, made, "李强 Li Qiang", "Name as on the badge")
        # Not blinded, the unblinded role may too (it manages no account through the pages).
        pharmacist = ctx.session.scalars(select(User).where(User.username == "unblinded")).one()
        accounts.create_user(ctx.by(pharmacist), "wang.pharm", "unblinded", NEW_PASSWORD)
    assert login(FlaskClient(app), "li.pharm", "Another-river-43").status_code == 302
    assert user(app, "wang.pharm").role == "unblinded"
    assert refusals(app) == []


def test_the_service_refuses_every_blinded_role_whatever_the_page(app: Flask) -> None:
    with app.app_context():
        ctx = context_for(Operator("test"))
        target = accounts.account(ctx, "unblinded")
        for role in Role:
            if not blinded(role):
                continue
            actor = ctx.session.scalars(select(User).where(User.username == role)).one()
            as_them = ctx.by(actor)
            for attempt, args in (
                (accounts.create_user, ("x.pharm", "unblinded", NEW_PASSWORD)),
                (accounts.change_role, (target, "nurse", "Why not")),
                (accounts.reset_password, (target, NEW_PASSWORD)),
                (accounts.set_active, (target, False, "Why not")),
                (load_allocation, ("sequence,arm\n99,MSC\n100,PBO\n",)),
            ):
                with pytest.raises(Refused):
                    attempt(as_them, *args)
        assert ctx.session.scalars(select(User).where(User.username == "x.pharm")).first() \
            is None
        assert ctx.session.scalars(select(Allocation)).all() == []


def upload(client: FlaskClient, text: str, **headers: str) -> Any:
    return client.post("/admin/allocation", data={
        "list_file": (BytesIO(text.encode()), "list.csv")},
        content_type="multipart/form-data", headers=headers)


def test_the_allocation_list_is_the_unblinded_roles_to_load(app: Flask, as_role) -> None:
    pharmacist = as_role("unblinded")
    assert "/admin/allocation" in pharmacist.get("/").text  # in its header
    bad = upload(pharmacist, "sequence,arm\n1,MSC\n1,PBO\n")
    assert bad.status_code == 422
    assert ("error", "Line 3: sequence 1 appears twice.") in page(bad).flashes
    good = upload(pharmacist, "sequence,arm\n1,MSC\n2,PBO\n3,PBO\n4,MSC\n")
    assert good.status_code == 302
    shown = pharmacist.get("/admin/allocation")
    assert ("success", "Loaded 4 allocation entries.") in page(shown).flashes
    assert '<dd data-count="left">4</dd>' in shown.text
    assert page(pharmacist.post("/admin/allocation", data={})).errors["list_file"] == [
        "Choose the list's CSV file."]
    # Its subnavigation links only to what it may do.
    nav = shown.text.split('class="subnav', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'href="([^"]+)"', nav) == ["/admin/allocation"]


@pytest.mark.parametrize("role", [r.value for r in Role if blinded(r)])
def test_every_blinded_role_is_refused_the_allocation_page_and_loads_nothing(
        app: Flask, as_role, role: str) -> None:
    client = as_role(role)
    assert client.get("/admin/allocation").status_code == 403
    assert upload(client, "sequence,arm\n1,MSC\n2,PBO\n").status_code == 403
    assert "/admin/allocation" not in client.get("/").text
    with app.app_context():
        assert db.session().scalars(select(Allocation)).all() == []


def test_the_admin_pages_link_only_to_what_the_admin_may_do(admin: FlaskClient) -> None:
    for url in ("/admin/users", "/admin/study", "/admin/lock"):
        shown = admin.get(url)
        assert shown.status_code == 200
        assert giveaways({url: shown.text}) == []
        links = set(re.findall(r'href="(/[^"#?]*)', shown.text)) - {"/static/edc.css"}
        assert "/admin/allocation" not in links
        for link in links:
            assert admin.get(link).status_code in (200, 302), (url, link)


@pytest.mark.parametrize(("text", "first", "line"), [
    ("sequence,arm\n3,MSC\n4,PBO\n", 3, 2),  # again
    ("sequence,arm\n9,MSC\n2,PBO\n", 2, 3),  # below the end
    ("sequence,arm\n9,MSC\n10,PBO\n7,MSC\n6,PBO\n", 7, 4),  # into the gap 6-7
])
def test_a_list_is_only_extended_after_its_end(app: Flask, as_role, text: str, first: int,
                                              line: int) -> None:
    pharmacist = as_role("unblinded")
    assert upload(pharmacist, "sequence,arm\n1,MSC\n2,PBO\n3,PBO\n4,MSC\n5,MSC\n8,PBO\n"
                  ).status_code == 302
    refused = upload(pharmacist, text)
    assert refused.status_code == 422
    assert ("error", f"Line {line}: sequence {first} is not after the end of the list already "
            "loaded (its highest number is 8). A list is only extended after its end: number "
            "the new entries from 9.") in page(refused).flashes
    with app.app_context():
        assert sorted(db.session().scalars(select(Allocation.sequence))) == [1, 2, 3, 4, 5, 8]
    zh = upload(pharmacist, text, **{"Accept-Language": "zh-CN"})
    assert ("error", f"第{line}行：序号 {first} 不在已载入随机表的末尾之后（已载入的最大序号为 "
            "8）。随机表只能在末尾之后续加：新条目请从 9 开始编号。") in page(zh).flashes
    assert upload(pharmacist, "sequence,arm\n9,MSC\n10,PBO\n").status_code == 302
