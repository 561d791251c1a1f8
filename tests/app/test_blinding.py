"""Only the unblinded role ever sees the arm: a crawl of every page each blinded role can reach."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select

from edc import db
from edc.models import AuditEvent
from edc.permissions import Role
from edc.read import blinding
from edc.read.history import participant_trail
from edc.read.participant_list import ListQuery, participant_list
from tests.support import factories
from tests.support.pages import crawl, giveaways

BLINDED_ROLES = tuple(role for role in Role if role != Role.UNBLINDED)  # PROTOCOL: only it
ARM_TEXTS = {"MSC": ("MSC", "hUC-MSC"), "PBO": ("PBO", "Normal saline placebo")}


@pytest.fixture
def trial(app: Flask, allocation: None) -> dict[str, int]:
    """Three children: AS-001 and AS-002 with both infusions, AS-003 anchored on infusion 1."""
    ids = {code: factories.child(app, "infusion 1", code) for code in ("AS-001", "AS-002",
                                                                        "AS-003")}
    for code in ("AS-001", "AS-002"):
        factories.infuse(app, ids[code], 2, factories.INFUSION_2)
    factories.anchor_on_first(app, ids["AS-003"])
    return ids


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_no_page_a_blinded_role_can_reach_reveals_the_arm(
    as_role, trial: dict[str, int], role: str
) -> None:
    pages = crawl(as_role(role))
    expected = {"/participants/"}
    for pid in trial.values():
        expected |= {f"/participants/{pid}", f"/participants/{pid}/history"}
    assert expected <= set(pages), f"The crawl missed {sorted(expected - set(pages))}."
    assert giveaways(pages) == [], f"{role} can see the arm."


def test_the_crawl_would_notice_an_arm_on_a_page(as_role, trial: dict[str, int]) -> None:
    """The same crawl as the unblinded role finds the arm, so the check above can fail."""
    found = giveaways(crawl(as_role("unblinded")))
    assert {url for url, _name, _text in found} >= {f"/participants/{trial['AS-001']}"}


def _shown_arm(html: str) -> str:
    codes = [code for code, texts in ARM_TEXTS.items()
             if any(re.search(rf">\s*{re.escape(t)}\s*<", html) for t in texts)]
    assert len(codes) == 1, f"Got arms {codes} on the page. Expected exactly one."
    return codes[0]


def test_unblinded_role_sees_each_participants_own_arm(
    as_role, trial: dict[str, int]
) -> None:
    client = as_role("unblinded")
    # Enrolled in order, they take sequences 1, 2, 3 of the list: MSC, PBO, MSC.
    for code, arm in (("AS-001", "MSC"), ("AS-002", "PBO"), ("AS-003", "MSC")):
        response = client.get(f"/participants/{trial[code]}")
        assert response.status_code == 200
        assert re.search(r"\bArm\b", response.text)
        assert _shown_arm(response.text) == arm, code


def test_unblinded_list_page_has_an_arm_column(as_role, trial: dict[str, int]) -> None:
    html = as_role("unblinded").get("/participants/").text
    assert re.search(r"<th>\s*Arm\s*</th>", html)
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    arms = {}
    for row in rows:
        code = re.search(r">(AS-\d{3})<", row)
        if code:
            arms[code.group(1)] = _shown_arm(row)
    assert arms == {"AS-001": "MSC", "AS-002": "PBO", "AS-003": "MSC"}


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_the_reads_give_no_arm_and_no_allocation_row_to_a_blinded_role(
    app: Flask, trial: dict[str, int], role: str
) -> None:
    with app.app_context():
        session = db.session()
        pid = trial["AS-001"]
        assert blinding.arm(session, role, pid) is None
        assert blinding.arms(session, role) is None
        listed = participant_list(session, role, date(2026, 4, 1),
                                  app.extensions["edc_calendar"], ListQuery())
        assert not listed.arms_shown and all(row.arm is None for row in listed.rows)
        assert {row.entity for row in participant_trail(session, role, pid)} == {
            "participant", "infusion", "visit"}


def test_the_reads_give_the_arms_and_the_allocation_rows_to_the_unblinded_role(
    app: Flask, trial: dict[str, int]
) -> None:
    with app.app_context():
        session = db.session()
        assert blinding.arm(session, "unblinded", trial["AS-002"]) == "PBO"
        by_code = {code: "MSC" if code != "AS-002" else "PBO" for code in trial}
        assert blinding.arms(session, "unblinded") == {
            pid: by_code[code] for code, pid in trial.items()}
        trail = participant_trail(session, "unblinded", trial["AS-001"])
        assert "allocation" in {row.entity for row in trail}


def _history_lines(html: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [unescape(line).strip() for line in re.findall(r"<li>(.*?)</li>", body, re.S)]


def test_history_hides_allocation_rows_from_blinded_roles_only(
    app: Flask, as_role, trial: dict[str, int]
) -> None:
    pid = trial["AS-001"]
    with app.app_context():
        allocation_rows = len(db.session().scalars(
            select(AuditEvent).where(AuditEvent.participant_id == pid,
                                     AuditEvent.entity == "allocation")
        ).all())
    assert allocation_rows > 0

    unblinded = _history_lines(as_role("unblinded").get(f"/participants/{pid}/history").text)
    shown = [line for line in unblinded if "Allocation" in line]
    assert shown == ["Allocation assigned from the concealed list"]
    for role in BLINDED_ROLES:
        lines = _history_lines(as_role(role).get(f"/participants/{pid}/history").text)
        assert [line for line in lines if "Allocation" in line] == [], role
        assert lines == [line for line in unblinded if line not in shown], role
