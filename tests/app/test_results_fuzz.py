"""Bad input never breaks the results form: random text, numbers, units and dates in every field
give a page (never a 500), and a refused post stores nothing (issue 3, item 10)."""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import func, select

from edc import db
from edc.models import AuditEvent, Result, Visit
from edc.protocol.crf import Field, load_results_form
from tests.support.apps import TODAY
from tests.support.forms import RESULTS, opened
from tests.support.records import visit_id

FORM = load_results_form(Path(__file__).resolve().parents[2] / "forms")
ALLOWED = {200, 302, 409, 422}
EXAMPLES = 150
BASE_REASON = "Lab report re-read"  # saved results change only with a reason

# What people paste, and what float() and date.fromisoformat() are lenient or strict about.
ODD_NUMBERS = ["1e999", "-1e999", "nan", "NaN", "inf", "-inf", "Infinity", "-0", "+0", "0",
               "  12 ", "0x10", "1,5", "1_000", "١٢", "１２", "1e-400", ".5", "5.", "+5",
               "1e308", "-1e308", "1e-308", "9" * 40, "0" * 31 + "1", "12 mg", "<5", ">1000",
               "5\x00", "\x0012", "1\u200b2", "\u00a012\u00a0", "12\r\n", "1/2", "½", "—",
               "null", "None", "''", "<script>alert(1)</script>", "x" * 300]
ODD_DATES = ["2026-02-30", "2026-13-01", "2026-00-10", "2025-02-29", "2026-04-31", "0000-01-01",
             "0001-01-01", "9999-12-31", "1899-12-31", "1900-01-01", "2200-12-31", "2201-01-01",
             "20260427", "2026-W18-1", "2026-117", "27/04/2026", "2026/04/27", " 2026-04-27 ",
             "2026-04-27T10:00", "2026-4-27", "2026-04-27\x00", "２０２６-04-27", "", "today"]
CHECKBOXES = ["y", "", "false", "False", "n", "0", "on", "\x00"]


def printable(text: str) -> str:
    """What a form keeps of a choice: no control characters, spaces of every width (see
    edc.views.fields)."""
    return "".join(ch for ch in text if ch.isprintable() or ch in "\t\n"
                   or unicodedata.category(ch) == "Zs")


def clean(text: str) -> str:
    """What a form keeps of a typed text: no control characters and no blanks at the ends
    (str.strip knows U+00A0 and U+3000)."""
    return printable(text).strip()


def ascii_twin(text: str) -> str:
    """A typed number as read: the full-width block U+FF01-U+FF5E is ASCII shifted by 0xFEE0,
    and the ideographic and no-break spaces are spaces."""
    spaces = {0x3000: " ", 0x00A0: " ", 0x2007: " ", 0x202F: " "}
    return clean("".join(spaces.get(ord(ch)) or (chr(ord(ch) - 0xFEE0)
                                                  if 0xFF01 <= ord(ch) <= 0xFF5E else ch)
                         for ch in clean(text)))


def shown(number: float) -> list[str]:
    """The ways a program might print a float."""
    return [repr(number), str(number), f"{number:g}", f"{number:.3f}", f"{number:e}"]


texts = st.text(max_size=40) | st.text(min_size=250, max_size=300)
floats_as_text = st.floats().flatmap(lambda x: st.sampled_from(shown(x)))
numbers = (st.sampled_from(ODD_NUMBERS) | texts | floats_as_text
           | st.integers().map(str) | st.integers(-10**6, 10**6).map(str))
dates = (st.sampled_from(ODD_DATES)
         | st.dates(date(2026, 1, 1), date(2026, 6, 30)).map(date.isoformat)
         | st.dates().map(date.isoformat)
         | texts)
checkboxes = st.sampled_from(CHECKBOXES) | st.text(max_size=10)
hidden_numbers = (st.integers().map(str) | st.integers(-3, 10).map(str)
                  | st.integers(2**31 - 2, 2**31 + 2).map(str)
                  | st.integers(2**63 - 2, 2**64).map(str)
                  | st.integers(-(2**64), -(2**63) + 1).map(str)
                  | st.sampled_from(["", "-1", "1e3", "9" * 40, "9" * 5000, "١", "１２", " 3 "])
                  | texts)
ABSENT = None  # the browser sent no such field


def plausible(field: Field) -> st.SearchStrategy[str]:
    """A number inside one of the field's units' possible range, as typed in that unit."""
    def typed(unit_index: int) -> st.SearchStrategy[str]:
        unit = field.units[unit_index]
        low, high = (unit.from_canonical(limit) for limit in unit.block)
        return st.floats(low, high).flatmap(lambda x: st.sampled_from(
            [f"{x:.4g}", f"{x:.1f}", str(round(x))]))
    return st.integers(0, len(field.units) - 1).flatmap(typed)


def slot_strategies() -> dict[str, st.SearchStrategy[str | None]]:
    """For each form field, where its random content comes from (None: left out of the post)."""
    slots: dict[str, st.SearchStrategy[str | None]] = {
        "sample_date": dates | st.none(),
        "reason": st.sampled_from(["", BASE_REASON, " "]) | texts | st.text(min_size=480,
                                                                            max_size=520),
    }
    for field in FORM.fields:
        key = field.key
        codes = [u.code for u in field.units]
        labels = [u.label for u in field.units]
        slots[f"{key}-value"] = plausible(field) | numbers | st.none()
        if len(field.units) > 1:
            slots[f"{key}-unit"] = (st.sampled_from([*codes, *labels, "", codes[0].upper(),
                                                     f" {codes[0]}", "mg/dl", "µmol/L"])
                                    | st.text(max_size=30) | st.none())
        if field.qualitative:
            slots[f"{key}-qualifier"] = (st.sampled_from(
                ["", *field.qualitative, "TOO NUMEROUS TO COUNT", " too numerous to count",
                 "too numerous to count\x00"]) | st.text(max_size=40) | st.none())
        slots[f"{key}-not_done"] = checkboxes | st.none()
        slots[f"{key}-not_done_reason"] = st.sampled_from(["", "haemolysed"]) | texts
        slots[f"{key}-confirm"] = checkboxes | st.none()
    return slots


SLOTS = slot_strategies()


@st.composite
def posts(draw: st.DrawFn) -> dict[str, Any]:
    """A complete plausible entry with some (or, now and then, all) fields replaced at random,
    and whether the hidden version and watermark are the ones the page handed out."""
    chaos = draw(st.booleans()) and draw(st.booleans())  # about one post in four
    names = list(SLOTS) if chaos else sorted(draw(st.sets(st.sampled_from(list(SLOTS)))))
    fuzzed = {name: draw(SLOTS[name], label=name) for name in names}
    # Mostly the version and watermark the page handed out; else a stale or forged version,
    # with or without a forged watermark (which only a refused, stale version reads).
    forged = draw(st.sampled_from([(), (), (), ("version",), ("version", "watermark")]))
    hidden = {name: draw(hidden_numbers | st.none(), label=name) for name in forged}
    return {"fuzzed": fuzzed, "hidden": hidden}


def baseline() -> dict[str, str]:
    data = {"sample_date": TODAY.isoformat(), "reason": BASE_REASON}
    for key, (value, unit) in RESULTS.items():
        data[f"{key}-value"] = value
        if unit:
            data[f"{key}-unit"] = unit
    return data


def assemble(client: FlaskClient, visit: int, post: dict[str, Any]) -> dict[str, str]:
    data = {**baseline(), **opened(client, visit), **post["fuzzed"], **post["hidden"]}
    return {name: value for name, value in data.items() if value is not ABSENT}


def snapshot(app: Flask) -> tuple:
    """Every result row, the visit rows and the newest audit row."""
    with app.app_context():
        session = db.session()
        results = session.execute(select(
            Result.id, Result.visit_id, Result.field, Result.typed_value, Result.typed_unit,
            Result.value, Result.unit, Result.qualifier, Result.not_done_reason,
            Result.warn_confirmed, Result.version).order_by(Result.id)).all()
        visits = session.execute(select(
            Visit.id, Visit.status, Visit.actual_date, Visit.version, Visit.results_saved_at,
            Visit.sample_deviation_days).order_by(Visit.id)).all()
        audit = session.scalar(select(func.max(AuditEvent.id)))
        return [tuple(r) for r in results], [tuple(v) for v in visits], audit


def stored(app: Flask, visit: int) -> tuple[dict[str, Result], Visit]:
    with app.app_context():
        session = db.session()
        rows = {r.field: r for r in session.scalars(select(Result).where(
            Result.visit_id == visit))}
        return rows, session.get(Visit, visit)


def checkbox(data: dict[str, str], name: str) -> bool:
    """How a WTForms BooleanField reads a posted checkbox."""
    return name in data and data[name] not in ("", "false")


def assert_saved_as_typed(app: Flask, visit: int, data: dict[str, str]) -> None:
    """After a save, each analyte is stored exactly as typed, finite and possible, or absent."""
    rows, saved = stored(app, visit)
    assert saved.status == "done"
    assert saved.actual_date == date.fromisoformat(data["sample_date"].strip())
    assert saved.actual_date <= TODAY
    for field in FORM.fields:
        key = field.key
        text = ascii_twin(data.get(f"{key}-value", ""))
        unit = field.unit(printable(data.get(f"{key}-unit", ""))) or field.canonical_unit
        qualifier = printable(data.get(f"{key}-qualifier", "")) if field.qualitative else ""
        row = rows.get(key)
        if checkbox(data, f"{key}-not_done"):
            assert row is not None, key
            assert row.not_done_reason == clean(data[f"{key}-not_done_reason"]), key
            assert row.not_done_reason and row.typed_value is None and row.value is None, key
        elif qualifier:
            assert row is not None and row.qualifier == qualifier, key
            assert row.typed_value is None and row.value is None, key
            assert row.typed_unit == unit.code, key
        elif text:
            assert row is not None, key
            assert row.typed_value == text, (key, row.typed_value, text)
            assert row.typed_unit == unit.code and row.unit == unit.canonical, key
            assert row.value is not None and math.isfinite(row.value), (key, row.value)
            low, high = unit.block
            assert low <= row.value <= high, (key, row.value, unit.block)
            assert math.isclose(row.value, unit.to_canonical(float(text)), rel_tol=1e-12)
            if unit.integer:
                assert row.value == int(row.value), (key, row.value)
        else:
            assert row is None, (key, row and row.typed_value)


def assert_typed_values_kept(page: str, data: dict[str, str]) -> None:
    """A refused form comes back with everything typed (blanks at the ends aside, and a number
    in full-width characters read as ASCII)."""
    for name, value in data.items():
        if name.endswith("-value"):
            assert f'value="{escape(ascii_twin(value))}"' in page, (name, value)
        elif name.endswith("-not_done_reason") or name == "reason":
            assert f'value="{escape(clean(value))}"' in page, (name, value)


def test_random_results_never_break_the_form_and_refused_posts_store_nothing(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    visit = visit_id(app, scheduled, "W06")
    statuses: Counter[int] = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(post=posts())
    def post_anything(post: dict[str, Any]) -> None:
        data = assemble(nurse, visit, post)
        before = snapshot(app)
        response = nurse.post(f"/visits/{visit}", data=data)
        note(f"status {response.status_code}")
        statuses[response.status_code] += 1
        assert response.status_code in ALLOWED, f"Got {response.status_code}. Expected {ALLOWED}."
        if response.status_code != 302:
            assert snapshot(app) == before
            assert_typed_values_kept(response.text, data)
            return
        assert response.location.endswith(f"/visits/{visit}")
        assert_saved_as_typed(app, visit, data)
        # What was stored shows on the visit page and in the participant's trends.
        assert nurse.get(response.location).status_code == 200
        assert nurse.get(f"/participants/{scheduled}").status_code == 200

    post_anything()
    # The strategy reaches both sides: saves, refusals and concurrent-edit conflicts.
    assert statuses[302] >= 10 and statuses[422] >= 10 and statuses[409] >= 1, statuses


def test_fixed_posts_of_the_fuzz_test_save_refuse_and_conflict(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    visit = visit_id(app, scheduled, "W06")
    refused = {"fuzzed": {"creatinine-value": "abc"}, "hidden": {}}
    before = snapshot(app)
    response = nurse.post(f"/visits/{visit}", data=assemble(nurse, visit, refused))
    assert response.status_code == 422
    assert snapshot(app) == before
    assert "abc" in response.text

    valid = {"fuzzed": {"creatinine-value": "  0.5 ", "creatinine-unit": "mg/dL"}, "hidden": {}}
    data = assemble(nurse, visit, valid)
    response = nurse.post(f"/visits/{visit}", data=data)
    assert response.status_code == 302, response.text
    assert_saved_as_typed(app, visit, data)
    rows, _ = stored(app, visit)
    assert rows["creatinine"].typed_value == "0.5"
    assert math.isclose(rows["creatinine"].value, 44.2)

    blocked = {"fuzzed": {"creatinine-value": "0.45", "creatinine-unit": "umol/L"}, "hidden": {}}
    before = snapshot(app)
    response = nurse.post(f"/visits/{visit}", data=assemble(nurse, visit, blocked))
    assert response.status_code == 422
    assert "Did you mean mg/dL?" in response.text
    assert snapshot(app) == before

    stale = {"fuzzed": {"weight-value": "26"}, "hidden": {"version": "1"}}
    response = nurse.post(f"/visits/{visit}", data=assemble(nurse, visit, stale))
    assert response.status_code == 409
    assert snapshot(app) == before
