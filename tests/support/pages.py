"""Reading a page the way a nurse reads it: labels, boxes and what they show, the messages at
each field, flashes, the schedule and trend tables, a visit's results rows and the conflict
panel. One reader for every page: page(response) or Page(html)."""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient

GENERAL = "__page__"
# What would give the arm away: the arm labels, a bare arm code in a cell, an "Arm" column.
GIVEAWAYS = {
    "label hUC-MSC": re.compile(r"hUC-MSC"),
    "label Normal saline placebo": re.compile(r"Normal saline placebo"),
    "arm code in an element": re.compile(r">\s*(?:MSC|PBO)\s*<"),
    "the word Arm": re.compile(r"\bArm\b"),
}


def _clean(parts: list[str]) -> str:
    return " ".join("".join(parts).split())


def _spaced(parts: list[str]) -> str:
    """Text pieces joined with a space, as pieces split by tags read on screen."""
    return " ".join(" ".join(parts).split())


class Row:
    """A table row marked data-visit="CODE" or data-trend="CODE": classes, cells by class, text."""

    def __init__(self, code: str, classes: list[str], marked: str) -> None:
        self.code, self.classes, self.marked = code, classes, marked  # marked: visit or trend
        self.cells: dict[str, str] = {}
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        return _spaced(self.parts)


class ResultRow:
    """One analyte's row of a visit's entry table (tr id="result-KEY"): messages per place."""

    def __init__(self, key: str) -> None:
        self.key = key
        # "value": under the value box; "confirm": in the confirmation box beside it;
        # "not_done": under the not-done reason.
        self.messages: dict[str, list[str]] = {}
        self.confirm_box_inputs: list[str] = []  # names of the inputs inside the confirm box
        self.history: list[str] = []
        self.cells: list[str] = []


class Page(HTMLParser):
    """Everything a test reads on a page, collected in one pass.

    - labels: (for, text) in document order; order: label texts and criterion codes in order;
      criteria: the enrolment criteria's codes in order.
    - inputs: name -> the attributes of every box of that name (radio buttons share a name);
      input(name) the first; value(name) what it shows; checked(name) the ticked radio values.
    - errors: messages (p.error) by the field whose block holds them, GENERAL outside a field.
      field_errors: errors and warnings outside a results row, by the first box of their field.
    - flashes: (category, text). conflict: the other nurse's changes, one line each, or None.
    - rows: data-visit rows by code; visit_codes: their codes in order; trend: the trend table's
      rows by visit code; table_rows: every row's cell texts; results: a visit's analyte rows.
    """

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.labels: list[tuple[str, str]] = []
        self.order: list[str] = []
        self.criteria: list[str] = []
        self.inputs: dict[str, list[dict[str, str]]] = {}
        self.checkboxes: dict[str, bool] = {}
        self.options: dict[str, list[tuple[str, str]]] = {}  # select -> (value, text)
        self.selected: dict[str, str] = {}
        self.errors: dict[str, list[str]] = {}
        self.field_errors: dict[str, list[str]] = {}
        self.flashes: list[tuple[str, str]] = []
        self.conflict: list[str] | None = None
        self.rows: dict[str, Row] = {}
        self.visit_codes: list[str] = []
        self.trend: dict[str, Row] = {}
        self.table_rows: list[list[str]] = []
        self.results: dict[str, ResultRow] = {}
        self._parts: list[str] = []
        self._divs: list[list[str]] = []  # classes of the open divs
        self._blocks: list[dict[str, Any]] = []  # per open div: a field's name, once known
        self._field_names: list[str | None] = []  # first box name of each open div.field
        self._label: tuple[str, list[str]] | None = None
        self._select: str | None = None
        self._option: tuple[str, bool, list[str]] | None = None
        self._message: tuple[str, list[str]] | None = None
        self._error: list[str] | None = None
        self._result: ResultRow | None = None
        self._td = -1
        self._history: list[str] | None = None
        self._row: Row | None = None
        self._row_cell: tuple[str, list[str]] | None = None
        self._cell: list[str] | None = None
        self._cells: list[str] | None = None
        self._in_conflict = False
        self._line: list[str] | None = None
        self.feed(html)
        self.close()

    @property
    def text(self) -> str:
        return _spaced(self._parts)

    def _in_div(self, cls: str) -> bool:
        return any(cls in classes for classes in self._divs)

    def _name_block(self, name: str) -> None:
        for block in reversed(self._blocks):
            if block["field"]:
                block["name"] = block["name"] or name
                return

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "div":
            self._divs.append(classes)
            self._blocks.append({"field": "field" in classes or "criterion" in classes,
                                 "name": None})
            if "field" in classes:
                self._field_names.append(None)
            if "criterion" in classes and a.get("id", "").startswith("crit-"):
                code = a["id"].removeprefix("crit-")
                self.criteria.append(code)
                self.order.append(code)
            if self._result is not None and self._td == 4:
                self._history = []
        elif tag == "section" and a.get("id") == "conflict":
            self._in_conflict, self.conflict = True, []
        elif tag == "li" and self._in_conflict:
            self._line = []
        elif tag == "label" and a.get("for"):
            self._label = (a["for"], [])
            self._name_block(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("name"):
            self._box(tag, a)
        elif tag == "option" and self._select:
            self._option = (a.get("value", ""), "selected" in a, [])
        elif tag == "p":
            self._paragraph(classes)
        elif tag == "tr":
            self._cells = []
            if a.get("id", "").startswith("result-"):
                self._result = ResultRow(a["id"].removeprefix("result-"))
                self._td = -1
            elif a.get("data-trend") or a.get("data-visit"):
                marked = "trend" if a.get("data-trend") else "visit"
                self._row = Row(a[f"data-{marked}"], classes, marked)
                if a.get("data-visit"):
                    self.visit_codes.append(a["data-visit"])
        elif tag == "td":
            self._cell = []
            if self._result is not None:
                self._td += 1
            if self._row is not None:
                self._row_cell = (a.get("class", ""), [])

    def _box(self, tag: str, a: dict[str, str]) -> None:
        name = a["name"]
        self.inputs.setdefault(name, []).append(a)
        self._name_block(name)
        if a.get("type") == "checkbox":
            self.checkboxes.setdefault(name, "checked" in a)
        if self._field_names and self._field_names[-1] is None:
            self._field_names[-1] = name
        if self._result is not None and self._in_div("confirm-box"):
            self._result.confirm_box_inputs.append(name)
        if tag == "select":
            self._select = name
            self.options[name] = []

    def _paragraph(self, classes: list[str]) -> None:
        if "error" in classes and "flash" not in classes:
            self._error = []
        if "flash" in classes or self._in_div("flash"):
            category = next((c for c in classes if c != "flash"), "")
            if not category:
                category = next((c for cs in self._divs if "flash" in cs
                                 for c in cs if c != "flash"), "")
            self._message = (f"flash:{category}", [])
        elif "error" in classes or "warning" in classes:
            if self._result is not None:
                place = ("confirm" if self._in_div("confirm-box")
                         else {1: "value", 3: "not_done"}.get(self._td, "other"))
                self._message = (f"row:{place}", [])
            else:
                self._message = ("field", [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._divs:
            classes = self._divs.pop()
            self._blocks.pop()
            if "field" in classes and self._field_names:
                self._field_names.pop()
            if self._history is not None and self._result is not None:
                self._result.history.append(_clean(self._history))
                self._history = None
        elif tag == "section" and self._in_conflict:
            self._in_conflict = False
        elif tag == "li" and self._line is not None and self.conflict is not None:
            self.conflict.append(_clean(self._line))
            self._line = None
        elif tag == "label" and self._label is not None:
            target, parts = self._label
            self.labels.append((target, _clean(parts)))
            self.order.append(_clean(parts))
            self._label = None
        elif tag == "option" and self._option is not None and self._select:
            value, selected, parts = self._option
            self.options[self._select].append((value, _clean(parts)))
            if selected:
                self.selected[self._select] = value
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "p":
            self._end_paragraph()
        elif tag == "td":
            self._end_cell()
        elif tag == "tr":
            self._end_row()

    def _end_paragraph(self) -> None:
        if self._error is not None:
            name = next((b["name"] for b in reversed(self._blocks) if b["field"]), None)
            self.errors.setdefault(name or GENERAL, []).append(_spaced(self._error))
            self._error = None
        if self._message is not None:
            kind, parts = self._message
            text = _clean(parts)
            if kind.startswith("flash:"):
                self.flashes.append((kind.removeprefix("flash:"), text))
            elif kind.startswith("row:") and self._result is not None:
                self._result.messages.setdefault(kind.removeprefix("row:"), []).append(text)
            else:
                name = next((n for n in reversed(self._field_names) if n), "")
                self.field_errors.setdefault(name, []).append(text)
            self._message = None

    def _end_cell(self) -> None:
        if self._cell is not None and self._cells is not None:
            self._cells.append(_clean(self._cell))
        self._cell = None
        if self._row_cell is not None and self._row is not None:
            cls, parts = self._row_cell
            if cls:
                self._row.cells[cls] = _spaced(parts)
            self._row_cell = None

    def _end_row(self) -> None:
        if self._cells is not None:
            self.table_rows.append(self._cells)
        self._cells = None
        if self._result is not None:
            self._result.cells = self.table_rows[-1] if self.table_rows else []
            self.results[self._result.key] = self._result
            self._result = None
        if self._row is not None:
            row = self._row
            if row.marked == "visit":
                self.rows[row.code] = row
            if row.code not in self.trend and "m-upcr" in row.cells:
                self.trend[row.code] = row
            self._row = None

    def handle_data(self, data: str) -> None:
        self._parts.append(data)
        for sink in (
            self._error,
            self._message[1] if self._message else None,
            self._label[1] if self._label else None,
            self._option[2] if self._option else None,
            self._history,
            self._line,
            self._cell,
            self._row.parts if self._row else None,
            self._row_cell[1] if self._row_cell else None,
        ):
            if sink is not None:
                sink.append(data)

    def input(self, name: str) -> dict[str, str]:
        """The attributes of the first box named `name`."""
        return self.inputs[name][0]

    def value(self, name: str) -> str | None:
        """What a text, date or number box shows, or the chosen option of a select."""
        if name in self.options:
            return self.selected.get(name)
        boxes = self.inputs.get(name)
        return boxes[0].get("value", "") if boxes else None

    def checked(self, name: str) -> list[str]:
        """The values of the checked radio buttons of a question."""
        return [a.get("value", "") for a in self.inputs.get(name, []) if "checked" in a]

    def all_row_messages(self) -> dict[str, dict[str, list[str]]]:
        """The messages of every results row that has any, by analyte key."""
        return {key: row.messages for key, row in self.results.items() if row.messages}

    def form_data(self) -> dict[str, str]:
        """What the browser posts from this form as it stands (boxes, ticks, chosen options)."""
        data: dict[str, str] = {}
        for name, boxes in self.inputs.items():
            a = boxes[0]
            if name in self.options:
                chosen = self.selected.get(name)
                data[name] = chosen if chosen is not None else self.options[name][0][0]
            elif a.get("type") == "checkbox":
                if self.checkboxes.get(name):
                    data[name] = a.get("value", "y")
            else:
                data[name] = a.get("value", "")
        return data


def page(response: Any) -> Page:
    """The response's page, read."""
    return Page(response.get_data(as_text=True))


def html_of(response: Any) -> str:
    """The response's HTML with runs of whitespace collapsed."""
    return " ".join(response.get_data(as_text=True).split())


def _walks_weeks(query: str) -> bool:
    """A link to a worklist week beyond the one on each side of this week: stepping on, week
    by week for ten years, adds no kind of page to a crawl."""
    return any(week not in ("", "-1", "+1") for week in parse_qs(query).get("week", []))


def crawl(client: FlaskClient, start: str = "/participants/") -> dict[str, str]:
    """GET every same-site page reachable by links from start, once; url -> html."""
    pages: dict[str, str] = {}
    queue = deque([start])
    while queue:
        url = queue.popleft()
        if url in pages:
            continue
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        pages[url] = response.text
        targets = [response.location] if response.status_code == 302 else [
            unescape(href) for href in re.findall(r'href="([^"]*)"', response.text)
        ]
        for target in targets:
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if parts.path.startswith(("/static/", "/logout")) or _walks_weeks(parts.query):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def giveaways(pages: dict[str, str]) -> list[tuple[str, str, str]]:
    """(url, what, text) for every page that gives the arm away."""
    return [
        (url, name, match.group(0))
        for url, html in pages.items()
        for name, pattern in GIVEAWAYS.items()
        if (match := pattern.search(html))
    ]
