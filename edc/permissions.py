"""Who may do what: the one table of role x action that views, the CLI and the README follow.

Pure: no Flask, no SQLAlchemy. A role not in a row may not do it; the server checks every
request against this table (edc.views.shared.permission_required).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    INVESTIGATOR = "investigator"
    NURSE = "nurse"
    MONITOR = "monitor"
    UNBLINDED = "unblinded"


class Action(StrEnum):
    VIEW = "view"  # participants, schedules, results, history, calendars
    ENROL = "enrol"
    RECORD_INFUSION = "record_infusion"
    ANCHOR_FOLLOW_UP = "anchor_follow_up"
    ENTER_RESULTS = "enter_results"
    BOOK_VISIT = "book_visit"
    MARK_MISSED = "mark_missed"
    ADD_VISIT = "add_visit"
    WITHDRAW = "withdraw"
    MANAGE_CALENDAR_LINK = "manage_calendar_link"
    RECORD_SAFETY = "record_safety"  # adverse events, vital signs, medications, deviations
    ACKNOWLEDGE_SAE = "acknowledge_sae"
    VIEW_OUTCOMES = "view_outcomes"  # the data monitoring committee's outcome summary
    EXPORT_DATA = "export_data"  # the exports page (the arm only for who may see it)
    RAISE_QUERY = "raise_query"  # raise, close and re-open a query on a stored value
    ANSWER_QUERY = "answer_query"
    VERIFY_SOURCE = "verify_source"  # source data verification
    SIGN_CASEBOOK = "sign_casebook"
    FREEZE = "freeze"  # freeze and unfreeze a child's record
    LOCK_DATABASE = "lock_database"
    MANAGE_USERS = "manage_users"  # accounts (not those that see the arm), the study definition
    SEE_ALLOCATION = "see_allocation"
    # Who reads the list reads the arms; who loads it could choose the next child's arm.
    LOAD_ALLOCATION = "load_allocation"


_STAFF = frozenset(Role)
_DATA_ENTRY = frozenset({Role.NURSE, Role.INVESTIGATOR})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW: _STAFF,
    Action.ENROL: _DATA_ENTRY,
    Action.RECORD_INFUSION: _DATA_ENTRY,
    Action.ANCHOR_FOLLOW_UP: _DATA_ENTRY,
    Action.ENTER_RESULTS: _DATA_ENTRY,
    Action.BOOK_VISIT: _DATA_ENTRY,
    Action.MARK_MISSED: _DATA_ENTRY,
    Action.ADD_VISIT: _DATA_ENTRY,
    Action.WITHDRAW: _DATA_ENTRY,
    Action.MANAGE_CALENDAR_LINK: _DATA_ENTRY,
    Action.RECORD_SAFETY: _DATA_ENTRY,
    Action.ACKNOWLEDGE_SAE: frozenset({Role.INVESTIGATOR}),
    Action.VIEW_OUTCOMES: frozenset({Role.INVESTIGATOR, Role.MONITOR, Role.ADMIN,
                                     Role.UNBLINDED}),
    Action.EXPORT_DATA: frozenset({Role.INVESTIGATOR, Role.MONITOR, Role.ADMIN,
                                   Role.UNBLINDED}),
    Action.RAISE_QUERY: frozenset({Role.MONITOR, Role.INVESTIGATOR}),
    Action.ANSWER_QUERY: _DATA_ENTRY,
    Action.VERIFY_SOURCE: frozenset({Role.MONITOR}),
    Action.SIGN_CASEBOOK: frozenset({Role.INVESTIGATOR}),
    Action.FREEZE: frozenset({Role.MONITOR, Role.ADMIN}),
    Action.LOCK_DATABASE: frozenset({Role.ADMIN}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.SEE_ALLOCATION: frozenset({Role.UNBLINDED}),
    Action.LOAD_ALLOCATION: frozenset({Role.UNBLINDED}),
}


def may(role: str, action: Action) -> bool:
    """Return whether a user of role may do action."""
    return role in PERMISSIONS[action]


def blinded(role: str) -> bool:
    """Return whether a user of role must not learn the arms (and so must not make, become or
    take over an account that sees them)."""
    return not may(role, Action.SEE_ALLOCATION)
