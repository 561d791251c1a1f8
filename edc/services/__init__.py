"""The use cases: enrol, record infusions, anchor and move follow-up, enter results, book, mark
missed, add visits, withdraw, calendar links, load the allocation list.

Views and the CLI call these; they never write models directly. Every use case takes a Context
first (session, study, clinic calendar, actor, today). Each use case validates first
(collecting every problem, so the nurse sees them all at once), then writes the change and its
audit rows in one transaction, or writes nothing.
"""

from edc.services.allocation import load_allocation
from edc.services.base import (
    GENERAL,
    Actor,
    Changed,
    Context,
    Errors,
    Operator,
    Refused,
    site_now,
)
from edc.services.booking import (
    book_visit,
    booking_flags,
    issue_calendar_link,
    revoke_calendar_link,
)
from edc.services.enrolment import EnrolmentData, enrol
from edc.services.infusions import (
    NOT_RECORDED,
    InfusionData,
    NeedsConfirmation,
    VisitMove,
    anchor_on_first_infusion,
    mark_visit_done,
    planned_dose_cells,
    preview_moves,
    save_infusion,
    second_infusion_due,
)
from edc.services.logs import acknowledge, remove_log_entry, save_log_entry
from edc.services.results import (
    Conflict,
    ResultsData,
    TypedResult,
    add_visit,
    mark_missed,
    refresh_results_missing,
    save_results,
)
from edc.services.termination import correct_termination, withdraw

__all__ = [
    "book_visit", "booking_flags", "issue_calendar_link", "revoke_calendar_link", "withdraw",
    "Conflict", "ResultsData", "TypedResult", "add_visit", "mark_missed",
    "refresh_results_missing", "save_results",
    "GENERAL", "Changed", "EnrolmentData", "Errors", "InfusionData", "NeedsConfirmation", "Refused",
    "NOT_RECORDED",
    "VisitMove", "anchor_on_first_infusion", "enrol", "load_allocation", "mark_visit_done",
    "planned_dose_cells", "preview_moves", "save_infusion", "second_infusion_due",
    "Actor", "Context", "Operator", "site_now",
    "acknowledge", "remove_log_entry", "save_log_entry", "correct_termination",
]
