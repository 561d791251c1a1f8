"""Arguments of the list pages as a nurse types them or copies them from a link: the status in the
words the list shows (Chinese or English), and a worklist section that does not exist."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edc import services
from edc.app import context_for
from tests.support import factories
from tests.support.apps import SET_UP, allocation_csv

ZH = {"Accept-Language": "zh-CN"}


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _codes(html: str) -> list[str]:
    return re.findall(r'participants/\d+">(AS-\d{3})</a>', html)


@pytest.fixture
def three(app: Flask) -> None:
    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv(4))
    factories.child(app, "enrolled", "AS-001")
    factories.child(app, "withdrawn", "AS-002")
    factories.child(app, "enrolled", "AS-003")


@pytest.mark.parametrize("typed, codes", [
    ("已入组", ["AS-001", "AS-003"]), ("已退出", ["AS-002"]), ("withdrawn", ["AS-002"]),
    ("Enrolled", ["AS-001", "AS-003"]), (" 已退出 ", ["AS-002"]),
])
def test_the_list_filters_by_the_status_word_the_nurse_reads(
        nurse: FlaskClient, three: None, typed: str, codes: list[str]) -> None:
    response = nurse.get(f"/participants/?status={quote(typed)}", headers=ZH)
    assert response.status_code == 200
    assert _codes(response.text) == codes
    assert 'role="alert"' not in response.text


def test_an_unknown_status_is_named_with_the_words_that_work_in_the_nurses_language(
        nurse: FlaskClient, three: None) -> None:
    response = nurse.get(f"/participants/?status={quote('入组')}", headers=ZH)
    assert response.status_code == 400
    assert "已入组, 已退出, 已完成" in _text(response.text)
    assert _codes(response.text) == ["AS-001", "AS-002", "AS-003"]
    # A word listed there filters.
    assert _codes(nurse.get(f"/participants/?status={quote('已完成')}").text) == []


@pytest.mark.parametrize("query", ["section=bogus", "section=bogus&page=2", "section=due&page=x",
                                   "page=3"])
def test_a_worklist_link_to_no_list_says_so_and_shows_every_list_from_its_start(
        nurse: FlaskClient, three: None, query: str) -> None:
    response = nurse.get(f"/?{query}")
    assert response.status_code == 400
    alert = re.search(r'<p class="flash error" role="alert">(.*?)</p>', response.text, re.S)
    assert alert and "Every list is shown from its start." in unescape(alert.group(1))
    assert "due, infusions, booked, overdue, incomplete" in unescape(alert.group(1))
    zh = nurse.get(f"/?{query}", headers=ZH)
    assert zh.status_code == 400 and "已从头显示每个列表" in zh.text


def test_a_worklist_link_to_a_list_page_shows_it_without_a_message(
        nurse: FlaskClient, three: None) -> None:
    response = nurse.get("/?section=due&page=1")
    assert response.status_code == 200 and 'role="alert"' not in response.text


def test_a_worklist_page_past_the_end_of_its_list_says_so_and_shows_the_start(
    app: Flask, nurse: FlaskClient
) -> None:
    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv(2))
    factories.add_children(app, 1, 3, state="enrolled")
    response = nurse.get("/?section=infusions&page=2")
    assert response.status_code == 400
    assert ("Got page 2. Expected a page from 1 to 1. Every list is shown from its start."
            in unescape(response.text))
    assert response.text.count("data-infusion=") == 3
