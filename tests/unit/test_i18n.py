"""Every user-facing string goes through gettext, so a zh_CN catalogue needs no template edits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "edc" / "templates").rglob("*.html"))
# Units and symbols are the same in every language.
NOT_WORDS = {"kg", "cm", "mL", "mL/min/1.73m²", "m²", "mg/m²/h", "mg/kg/24h", "AS", "x"}


def bare_text(template: str) -> list[str]:
    """Words in a template that are outside {{ }}, {% %}, comments and HTML tags."""
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", template, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"&[a-z]+;", " ", text)
    return [w for w in re.findall(r"[^\W\d_][\w/.²]*", text) if w not in NOT_WORDS]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_text_outside_gettext(path: Path) -> None:
    assert bare_text(path.read_text()) == []


def test_the_check_finds_untranslated_text() -> None:
    assert bare_text("<p>{{ _('Saved') }} Nothing was saved</p>") == ["Nothing", "was", "saved"]


def test_extraction_finds_template_and_python_messages() -> None:
    method_map = [("edc/**.py", "python"), ("edc/templates/**.html", "jinja2")]
    messages = {m[2] if isinstance(m[2], str) else m[2][0]
                for m in extract_from_dir(str(ROOT), method_map,
                                          keywords={"_": None, "_l": None, "gettext": None})}
    assert {"Participant code", "Infusion date", "Follow-up visits",
            "Wrong user name or password."} <= messages
