"""Log-in, roles, CSRF, lock-out, idle timeout, redirects and headers, as a user meets them."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html import unescape
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from edc import db
from edc.app import create_app
from edc.models import AuditEvent, Infusion, Participant, User, Visit
from tests.support.apps import PASSWORD, ROLES, login
from tests.support.forms import enrolment_form, infusion_form

RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
WRONG = "Wrong user name or password."


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model))


def _user(app: Flask, username: str) -> User:
    with app.app_context():
        return db.session().scalars(select(User).where(User.username == username)).one()


def _snapshot(app: Flask) -> dict[str, int]:
    """How many rows each table a write would touch holds."""
    return {m.__name__: _count(app, m) for m in (Participant, Infusion, Visit, AuditEvent)}


def _alert(response) -> str:
    """The error message shown on the log-in page."""
    match = re.search(r'<p class="flash error" role="alert">(.*?)</p>', response.text, re.S)
    assert match, f"Got no error message on the page. Expected one.\n{response.text}"
    return unescape(match.group(1)).strip()


def _csrf_token(html: str) -> str:
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "Got a form without a csrf_token hidden input. Expected one."
    return match.group(1)


def _redirects_to_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path == "/login"


# Every page needs a log-in -----------------------------------------------------------------------


def _walkable_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, url) for every rule except the log-in page, static files and the tokenised
    calendar links (which answer 404 to any token but a live one)."""
    from edc.views import PUBLIC_ENDPOINTS

    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue

        def fill(match: re.Match) -> str:
            return "1" if match.group("converter") in ("int", "float") else "AS-001"

        url = RULE_ARGUMENT.sub(fill, rule.rule)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            routes.append((method, url))
    return routes


def test_every_route_except_login_redirects_an_anonymous_visitor_to_login(
    app: Flask, client: FlaskClient
) -> None:
    routes = _walkable_routes(app)
    walked = {url for _method, url in routes}
    assert {"/participants/", "/participants/enrol"} <= walked, walked
    assert ("POST", "/participants/enrol") in routes
    assert ("POST", "/logout") in routes

    leaks = []
    for method, url in routes:
        response = client.open(url, method=method, data={"code": "AS-001"})
        if not _redirects_to_login(response):
            leaks.append((method, url, response.status_code, response.location))
    assert leaks == [], f"Got pages served without a log-in: {leaks}. Expected 302 to /login."
    assert _count(app, Participant) == 0


def test_only_the_login_page_and_the_tokenised_calendar_links_are_open() -> None:
    from edc.views import PUBLIC_ENDPOINTS

    # The family's calendar and page, and a staff member's own clinic feed: a phone or a
    # calendar app sends no log-in cookie, so the random token in the link is the key.
    assert PUBLIC_ENDPOINTS == {"auth.login", "static", "calendars.family",
                                "calendars.family_page", "calendars.clinic_token_feed"}


def test_login_page_is_the_one_page_open_without_login(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="password"' in response.text


def test_passwords_are_stored_hashed_never_in_clear(app: Flask) -> None:
    for role in ROLES:
        stored = _user(app, role).password_hash
        assert PASSWORD not in stored
        assert stored.startswith(("pbkdf2:", "scrypt:")), stored
        assert check_password_hash(stored, PASSWORD)


# CSRF --------------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """The same app and database as the app fixture, with CSRF protection switched on."""
    guarded = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": True,
        "STUDY": app.extensions["edc_study"],  # the tests' study, read in English
    })
    yield guarded
    guarded.extensions["edc_engine"].dispose()


def _login_with_token(client: FlaskClient, username: str) -> None:
    token = _csrf_token(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, response.text


def test_login_form_carries_a_csrf_token_and_logs_in_when_it_is_sent(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    _login_with_token(client, "nurse")
    assert client.get("/participants/").status_code == 200


def test_login_without_csrf_token_is_refused_and_counts_no_failed_attempt(
    csrf_app: Flask,
) -> None:
    client = csrf_app.test_client()
    before = _snapshot(csrf_app)
    response = client.post("/login", data={"username": "nurse", "password": "wrong-password"})
    assert response.status_code == 400
    assert "security token" in response.text
    assert _user(csrf_app, "nurse").failed_logins == 0
    assert _snapshot(csrf_app) == before
    response = client.post("/login", data={"username": "nurse", "password": PASSWORD})
    assert response.status_code == 400
    assert _redirects_to_login(client.get("/participants/"))


def test_forms_posted_without_csrf_token_are_refused_and_write_nothing(
    csrf_app: Flask, app: Flask, nurse: FlaskClient, enrolled: int
) -> None:
    # Infusion 1 is recorded (through the app without CSRF) so anchoring would write visits.
    assert nurse.post(f"/participants/{enrolled}/infusions/1",
                      data=infusion_form()).status_code == 302
    client = csrf_app.test_client()
    _login_with_token(client, "nurse")
    before = _snapshot(csrf_app)
    posts = [
        ("/participants/enrol", enrolment_form(app, code="AS-002")),
        (f"/participants/{enrolled}/infusions/1",
         infusion_form(product_lot="UC-2026-099", reason="Lot mistyped")),
        (f"/participants/{enrolled}/infusions/2", infusion_form(date="2026-03-16")),
        (f"/participants/{enrolled}/anchor-on-first", {"reason": "Fever on the day"}),
    ]
    for url, data in posts:
        response = client.post(url, data=data)
        assert response.status_code == 400, (url, response.status_code)
        assert "security token" in response.text
    assert _snapshot(csrf_app) == before

    # The same enrolment with the form's token goes through: the token was the only problem.
    token = _csrf_token(client.get("/participants/enrol").text)
    response = client.post("/participants/enrol",
                           data={**enrolment_form(app, code="AS-002"), "csrf_token": token})
    assert response.status_code == 302, response.text
    assert _count(csrf_app, Participant) == before["Participant"] + 1


def test_logout_without_csrf_token_is_refused_and_keeps_the_user_logged_in(
    csrf_app: Flask,
) -> None:
    client = csrf_app.test_client()
    _login_with_token(client, "nurse")
    assert client.post("/logout").status_code == 400
    assert client.get("/participants/").status_code == 200
    token = _csrf_token(client.get("/participants/").text)
    assert _redirects_to_login(client.post("/logout", data={"csrf_token": token}))
    assert _redirects_to_login(client.get("/participants/"))


# Failed log-ins (the throttling: tests/app/test_login_guards.py) ----------------------------------


def test_unknown_user_and_wrong_password_get_the_same_answer(client: FlaskClient) -> None:
    unknown = login(client, "nobody", "wrong-password")
    wrong = login(client, "nurse", "wrong-password")
    assert (unknown.status_code, _alert(unknown)) == (wrong.status_code, _alert(wrong))
    assert _alert(wrong) == WRONG


# Idle sessions expire ----------------------------------------------------------------------------


def test_session_idle_for_31_minutes_is_logged_out_with_a_message(nurse: FlaskClient) -> None:
    with nurse.session_transaction() as session:
        session["last_seen"] = time.time() - 31 * 60
    response = nurse.get("/participants/")
    assert _redirects_to_login(response)
    page = nurse.get(response.location)
    assert "logged out after 30 minutes" in page.text
    assert _redirects_to_login(nurse.get("/participants/"))


def test_session_idle_for_29_minutes_still_works(nurse: FlaskClient) -> None:
    with nurse.session_transaction() as session:
        session["last_seen"] = time.time() - 29 * 60
    assert nurse.get("/participants/").status_code == 200
    assert nurse.get("/participants/").status_code == 200


# Roles are checked on the server -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["monitor", "unblinded", "admin"])
def test_roles_without_write_access_get_403_on_every_write_and_nothing_is_saved(
    app: Flask, as_role, nurse: FlaskClient, enrolled: int, role: str
) -> None:
    assert nurse.post(f"/participants/{enrolled}/infusions/1",
                      data=infusion_form()).status_code == 302
    client = as_role(role)
    before = _snapshot(app)
    requests = [
        ("GET", "/participants/enrol", None),
        ("POST", "/participants/enrol", enrolment_form(app, code="AS-002")),
        ("GET", f"/participants/{enrolled}/infusions/2", None),
        ("POST", f"/participants/{enrolled}/infusions/1",
         infusion_form(product_lot="UC-2026-099", reason="Lot mistyped")),
        ("POST", f"/participants/{enrolled}/infusions/2", infusion_form(date="2026-03-16")),
        ("POST", f"/participants/{enrolled}/anchor-on-first", {"reason": "Fever on the day"}),
    ]
    for method, url, data in requests:
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, (role, method, url, response.status_code)
    assert _snapshot(app) == before
    with app.app_context():
        lot = db.session().scalar(select(Infusion.product_lot))
    assert lot == "UC-2026-017"


# Redirects after log-in --------------------------------------------------------------------------


@pytest.mark.parametrize("target", [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/participants/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
])
def test_login_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    response = client.post("/login", query_string={"next": target},
                           data={"username": "nurse", "password": PASSWORD})
    assert response.status_code == 302
    # Browsers drop tabs and newlines from URLs before resolving them.
    location = re.sub(r"[\t\r\n]", "", response.location)
    assert location == "/", f"Got a redirect to {response.location!r}."  # the worklist


def test_login_returns_to_the_local_page_that_asked_for_it(client: FlaskClient) -> None:
    asked = client.get("/participants/enrol")
    assert _redirects_to_login(asked)
    response = client.post(asked.location, data={"username": "nurse", "password": PASSWORD})
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/participants/enrol"


# Headers -----------------------------------------------------------------------------------------


def test_pages_forbid_framing_and_caching_and_carry_a_content_security_policy(
    client: FlaskClient, nurse: FlaskClient
) -> None:
    for response in (client.get("/login"), nurse.get("/participants/"),
                     nurse.get("/participants/enrol")):
        assert response.status_code == 200
        assert "default-src 'self'" in response.headers.get("Content-Security-Policy", "")
        assert response.headers.get("X-Frame-Options") == "DENY"
        assert "no-store" in response.headers.get("Cache-Control", "")


# No input gives a 500 ----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [
    {},
    {"username": "nurse"},
    {"password": PASSWORD},
    {"username": "", "password": ""},
    {"username": "   ", "password": " "},
    {"username": "n" * 100_000, "password": "p" * 100_000},
    {"username": "nurse\x00", "password": "\x00"},
    {"username": "\x00", "password": PASSWORD},
    {"username": "' OR 1=1 --", "password": "' OR 1=1 --"},
    {"username": "护士💉" * 500, "password": "密码"},
    {"username": ["nobody", "nurse"], "password": ["x", PASSWORD]},
], ids=["empty", "no-password", "no-username", "blank", "spaces", "huge", "nul-suffix",
        "nul-only", "sql", "unicode", "repeated"])
def test_garbage_posted_to_login_never_gives_a_500(
    app: Flask, client: FlaskClient, data: dict
) -> None:
    response = client.post("/login", data=data)
    assert response.status_code < 500, f"Got {response.status_code} for {data!r:.80}."
    assert response.status_code != 302
    assert "Something went wrong" not in response.text
    assert client.get("/login").status_code == 200


def test_a_login_post_that_is_not_a_form_never_gives_a_500(client: FlaskClient) -> None:
    for body, content_type in [
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b'{"username": "nurse"}', "application/json"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
    ]:
        response = client.post("/login", data=body, content_type=content_type)
        assert response.status_code < 500, (body, response.text)


@pytest.mark.parametrize("field", ["product_lot", "weight_kg", "date"])
def test_garbage_posted_to_an_infusion_form_never_gives_a_500(
    nurse: FlaskClient, enrolled: int, field: str
) -> None:
    garbage = {"product_lot": "UC-2026\x00-017", "weight_kg": "24\x005", "date": "2026-03-0\x002"}
    response = nurse.post(f"/participants/{enrolled}/infusions/1",
                          data=infusion_form(**{field: garbage[field]}))
    assert response.status_code < 500, f"Got {response.status_code} for {field} with NUL."
    assert "Something went wrong" not in response.text


def test_garbage_posted_to_the_enrolment_form_never_gives_a_500(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    for overrides in ({"code": "AS-00\x001"}, {"sex": "\x00"}, {"code": "A" * 100_000},
                      {"weight_kg": "1e400"}, {"date_of_birth": "9999-99-99"}):
        response = nurse.post("/participants/enrol", data=enrolment_form(app, **overrides))
        assert response.status_code < 500, f"Got {response.status_code} for {overrides!r:.80}."


def test_a_form_posted_after_logout_does_not_send_the_nurse_to_a_405_after_log_in(
    client: FlaskClient,
) -> None:
    response = client.post("/participants/1/anchor-on-first", data={"reason": "x"})
    assert response.status_code == 302
    assert response.location == "/login"
    after = client.post(response.location, data={"username": "nurse", "password": PASSWORD})
    assert after.location == "/"  # the worklist, not a 405 for the lost post


def test_on_an_https_site_the_session_cookie_is_secure_even_if_the_proxy_does_not_say_so(
        app: Flask, database_url: str, study, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.apps import make_app

    # TLS ends at a proxy that forwards plain HTTP and no X-Forwarded-Proto (or no
    # EDC_PROXY_HOPS): the site's address says https, so the cookie is never sent in clear.
    https_site = make_app(database_url, study, monkeypatch, users=(),
                          PREFERRED_URL_SCHEME="https")
    try:
        response = https_site.test_client().post(
            "/login", data={"username": "nurse", "password": PASSWORD},
            base_url="http://localhost")  # as the proxy forwards it
        assert not response.request.is_secure
    finally:
        https_site.extensions["edc_engine"].dispose()
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Secure" not in login(app.test_client(), "nurse").headers["Set-Cookie"]
