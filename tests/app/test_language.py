"""Each person reads the app in their language: the site's (forms/study.toml) until they choose
another in the page header, remembered on their account; the browser's where the site has none."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select

from edc import create_app, db
from edc.models import AuditEvent, User
from edc.protocol.study import Study, StudyDefinitionError
from tests.support import factories
from tests.support.apps import make_app
from tests.support.records import visit_id


def page_language(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


@pytest.fixture
def site_app(database_url: str, study: Study, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app with the study's own site language (zh_CN), not the tests' English."""
    app = make_app(database_url, study, monkeypatch, users=("nurse", "monitor"),
                   site_language=True)
    yield app
    app.extensions["edc_engine"].dispose()


def stored_language(app: Flask, username: str) -> str | None:
    with app.app_context():
        return db.session().scalar(select(User.language).where(User.username == username))


def log_in(client, username: str):
    return client.post("/login", data={"username": username, "password": "correct-horse-battery"})


def test_the_study_sets_a_new_accounts_language_to_chinese(study: Study) -> None:
    assert study.site.language == "zh_CN"


def test_a_new_account_reads_the_sites_language_whatever_the_browser(site_app: Flask) -> None:
    client = site_app.test_client()
    english_browser = {"Accept-Language": "en-GB,en;q=0.9"}
    assert page_language(client.get("/login", headers=english_browser).text) == "zh-CN"
    log_in(client, "nurse")
    assert page_language(client.get("/", headers=english_browser).text) == "zh-CN"
    assert stored_language(site_app, "nurse") is None  # not chosen: follows the site


def test_the_header_switch_is_remembered_on_the_account_and_audited(site_app: Flask) -> None:
    client = site_app.test_client()
    log_in(client, "nurse")
    page = client.get("/participants/").text
    assert 'name="language" value="en"' in page  # the switch offers the other language
    response = client.post("/language", data={"language": "en", "next": "/participants/"})
    assert (response.status_code, response.location) == (302, "/participants/")
    assert page_language(client.get("/participants/").text) == "en"
    assert 'name="language" value="zh_CN"' in client.get("/participants/").text
    assert stored_language(site_app, "nurse") == "en"
    with site_app.app_context():
        change = db.session().scalars(select(AuditEvent).where(
            AuditEvent.entity == "user", AuditEvent.field == "language")).one()
    assert (change.username, change.old, change.new) == ("nurse", None, "en")
    # Another day, another browser: the account keeps it.
    other = site_app.test_client()
    log_in(other, "nurse")
    assert page_language(other.get("/").text) == "en"
    # Someone else's account is untouched.
    assert stored_language(site_app, "monitor") is None


def test_a_language_chosen_on_the_login_page_is_kept_by_the_account(site_app: Flask) -> None:
    client = site_app.test_client()
    response = client.post("/login?next=/participants/", data={"language": "en"})
    assert response.status_code == 302 and response.location.startswith("/login")
    assert page_language(client.get("/login").text) == "en"
    assert stored_language(site_app, "nurse") is None  # nobody is logged in yet
    log_in(client, "nurse")
    assert stored_language(site_app, "nurse") == "en"
    assert page_language(client.get("/").text) == "en"


def test_a_language_the_app_does_not_speak_is_refused_and_nothing_stored(site_app: Flask) -> None:
    client = site_app.test_client()
    log_in(client, "nurse")
    assert client.post("/language", data={"language": "fr"}).status_code == 400
    assert client.post("/login", data={"language": "xx"}).status_code == 400
    assert stored_language(site_app, "nurse") is None


def test_the_switch_goes_back_only_to_a_page_of_this_site(site_app: Flask) -> None:
    client = site_app.test_client()
    log_in(client, "nurse")
    response = client.post("/language", data={"language": "en", "next": "//evil.example/"})
    assert response.location == "/"


def test_the_switch_needs_a_login(site_app: Flask) -> None:
    response = site_app.test_client().post("/language", data={"language": "en"})
    assert response.status_code == 302 and response.location.startswith("/login")


def test_without_a_site_language_the_browser_decides(app: Flask, client) -> None:
    log_in(client, "nurse")
    assert page_language(client.get("/").text) == "en"
    assert page_language(client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text) \
        == "zh-CN"


def test_a_site_language_the_app_does_not_speak_stops_start_up(
        study: Study, database_url: str) -> None:
    wrong = replace(study, site=replace(study.site, language="fr"))
    with pytest.raises(StudyDefinitionError) as error:
        create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "STUDY": wrong})
    assert str(error.value) == ("forms/study.toml: site.language: got 'fr'. Expected empty or "
                                "one of en, zh_CN.")


def test_the_visit_form_follows_each_switch_of_language(
    database_url: str, study: Study, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(database_url, study, monkeypatch, users=("nurse",), site_language=True,
                   allocation=True)
    try:
        w02 = visit_id(app, factories.child(app, "scheduled"), "W02")
        client = app.test_client()
        log_in(client, "nurse")
        for language, unit in (("zh_CN", "个/HPF"), ("en", "/HPF"), ("zh_CN", "个/HPF")):
            client.post("/language", data={"language": language, "next": "/"})
            # The unit choices are the form's own, named in the reader's language.
            assert f'<option value="/HPF">{unit}</option>' in client.get(f"/visits/{w02}").text
    finally:
        app.extensions["edc_engine"].dispose()
