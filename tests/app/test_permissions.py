"""One table says who may do what: every page checks it, and the README shows the same table."""

from __future__ import annotations

import re

from flask import Flask

from edc.permissions import PERMISSIONS, Action, Role, may
from edc.views import ANY_ROLE_ENDPOINTS, PUBLIC_ENDPOINTS
from tests.support.paths import ROOT

README = ROOT / "README.md"


def route_permissions(app: Flask) -> dict[str, set[Action]]:
    """Each endpoint -> the actions its view checks (none: it checks nothing)."""
    found = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        found[rule.endpoint] = {a for a in (getattr(view, "permission", None),
                                            getattr(view, "post_permission", None)) if a}
    return found


def test_every_page_is_public_or_checks_a_permission(app: Flask) -> None:
    assert PUBLIC_ENDPOINTS == {"auth.login", "static", "calendars.family",
                                "calendars.family_page", "calendars.clinic_token_feed"}
    assert ANY_ROLE_ENDPOINTS == {"auth.logout", "auth.language", "auth.password"}
    unchecked = {endpoint for endpoint, actions in route_permissions(app).items()
                 if not actions} - PUBLIC_ENDPOINTS - ANY_ROLE_ENDPOINTS
    assert unchecked == set()


def test_the_pages_check_the_actions_they_offer(app: Flask) -> None:
    checks = route_permissions(app)
    assert checks["participants.enrol"] == {Action.ENROL}
    assert checks["participants.infusion"] == {Action.RECORD_INFUSION}
    assert checks["visits.visit"] == {Action.VIEW, Action.ENTER_RESULTS}  # POST enters results
    assert checks["visits.book"] == {Action.BOOK_VISIT}
    assert checks["participants.revoke_calendar_link"] == {Action.MANAGE_CALENDAR_LINK}
    # Who loads the list reads its arms: the page is the unblinded role's, not the admin's.
    assert checks["admin.allocation"] == {Action.LOAD_ALLOCATION}
    # Every action of the table is checked somewhere; the arm is checked by the reads.
    used = set().union(*checks.values()) | {Action.SEE_ALLOCATION}
    assert used == set(Action)


def readme_table() -> dict[Action, frozenset[Role]]:
    """The "Who can do what" table of README.md: action code -> roles with a tick."""
    text = README.read_text(encoding="utf-8").split("## Who can do what", 1)[1]
    lines = [line for line in text.split("\n## ", 1)[0].splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header[0] == "action"
    roles = [Role(name) for name in header[1:]]
    table = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        code = re.search(r"\(`([a-z_]+)`\)$", cells[0])
        assert code, f"Got README row {cells[0]!r}. Expected a description ending in (`code`)."
        assert set(cells[1:]) <= {"✓", ""}, cells
        table[Action(code.group(1))] = frozenset(r for r, c in zip(roles, cells[1:], strict=True)
                                                 if c == "✓")
    assert sorted(roles) == sorted(Role)
    return table


def test_the_readme_table_is_the_permissions_table() -> None:
    assert readme_table() == PERMISSIONS


def test_only_nurses_and_investigators_write_and_only_the_unblinded_role_sees_the_arm() -> None:
    # PROTOCOL and DESIGN, written out by hand: the table must keep saying this. Only an
    # investigator acknowledges a serious adverse event (issue: safety).
    writers = {Role.NURSE, Role.INVESTIGATOR}
    for action in Action:
        allowed = {role for role in Role if may(role, action)}
        if action is Action.VIEW:
            assert allowed == set(Role)
        elif action in (Action.SEE_ALLOCATION, Action.LOAD_ALLOCATION):
            assert allowed == {Role.UNBLINDED}
        elif action is Action.ACKNOWLEDGE_SAE:
            assert allowed == {Role.INVESTIGATOR}
        elif action in (Action.VIEW_OUTCOMES, Action.EXPORT_DATA):
            # reads, for the DMC, the monitor and the statistician: not the nurses' work
            assert allowed == {Role.INVESTIGATOR, Role.MONITOR, Role.ADMIN, Role.UNBLINDED}
        elif action is Action.RAISE_QUERY:  # who reviews the data asks about it
            assert allowed == {Role.MONITOR, Role.INVESTIGATOR}
        elif action is Action.VERIFY_SOURCE:
            assert allowed == {Role.MONITOR}
        elif action is Action.SIGN_CASEBOOK:  # CDE 2016: the investigator signs
            assert allowed == {Role.INVESTIGATOR}
        elif action is Action.FREEZE:
            assert allowed == {Role.MONITOR, Role.ADMIN}
        elif action in (Action.LOCK_DATABASE, Action.MANAGE_USERS):
            assert allowed == {Role.ADMIN}
        else:
            assert allowed == writers, action


def test_the_readme_states_the_throttling_lock_and_idle_time_out_the_code_applies() -> None:
    from edc.extensions import IDLE_TIMEOUT
    from edc.services import signin
    from edc.services.accounts import LOCKOUT, MAX_FAILED_LOGINS

    text = " ".join(README.read_text(encoding="utf-8").split())
    words = {5: "five"}  # how the README spells the count

    def minutes(span) -> str:
        return f"{span.total_seconds() / 60:g}"

    assert (f"after {signin.ADDRESS_LIMIT} failures in a row (failures less than "
            f"{minutes(signin.WINDOW)} minutes apart), that address waits "
            f"{minutes(signin.ADDRESS_WAIT)} minute, then twice as long after each further "
            f"failure, at most an hour") in text
    assert signin.LONGEST_WAIT.total_seconds() == 3600
    assert (f"in the last {signin.USUAL_DAYS} days: after {signin.ACCOUNT_LIMIT} failures that "
            f"name waits there, {minutes(signin.ACCOUNT_WAIT)} minutes and doubling") in text
    assert (f"still lock the account for {minutes(LOCKOUT)} minutes after "
            f"{words.get(MAX_FAILED_LOGINS, MAX_FAILED_LOGINS)}") in text
    assert f"A session ends after {minutes(IDLE_TIMEOUT)} minutes without activity" in text
