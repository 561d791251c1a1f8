"""Every user-facing string goes through gettext, so a zh_CN catalogue needs no template edits."""

from __future__ import annotations

import ast
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


# Python: the modules that speak to people are the views and the services. A text of two words or
# more there is a message, and a message goes through gettext (or N_, stored and translated where
# shown); these few are not messages.
SPEAKING = sorted((ROOT / "edc" / "views").rglob("*.py")) + sorted(
    (ROOT / "edc" / "services").rglob("*.py"))
GETTEXT_CALLS = {"_", "_l", "N_", "gettext", "ngettext", "lazy_gettext", "lazy_ngettext"}
LOG_CALLS = {"debug", "info", "warning", "error", "exception"}
NOT_MESSAGES = {
    "outside window",  # a stored booking flag, shown through flag_words
    "clinic closure",  # a stored closure, shown through flag_words
    "(log-in form)",  # the trail's name for a failed log-in's unknown actor
    " planned visits would move",  # NeedsConfirmation's text for the log; the page lists them
    "The visit was saved by someone else; it is now version ",  # Conflict's, for the log
}


def untranslated_python(path: Path, root: Path = ROOT) -> list[str]:
    """Texts of two words or more outside gettext, docstrings and NOT_MESSAGES."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def in_gettext(node: ast.AST) -> bool:
        """Inside gettext (a function, or a field's own method), or a log line for the server."""
        while (node := parents.get(node)) is not None:
            if isinstance(node, ast.Call) and (
                    getattr(node.func, "id", None) in GETTEXT_CALLS
                    or getattr(node.func, "attr", None) in GETTEXT_CALLS | LOG_CALLS):
                return True
        return False

    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        if (not re.search(r"[A-Za-z]{2,}[,;:.]? [A-Za-z]{2,}", text) or text in NOT_MESSAGES
                or "filename=" in text  # a Content-Disposition header
                or isinstance(parents.get(node), ast.Expr) or in_gettext(node)):
            continue
        found.append(f"{path.relative_to(root)}:{node.lineno}: {text[:60]!r}")
    return found


@pytest.mark.parametrize("path", SPEAKING, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_messages_go_through_gettext(path: Path) -> None:
    assert untranslated_python(path) == []


def test_the_python_check_finds_a_message_outside_gettext(tmp_path: Path) -> None:
    module = tmp_path / "edc" / "views" / "example.py"
    module.parent.mkdir(parents=True)
    module.write_text('"""A docstring is not a message."""\nfrom flask import flash\n\n'
                      'def saved():\n    flash(_("Saved."))\n    flash("Nothing was saved.")\n'
                      '    return "success"\n')
    assert untranslated_python(module, tmp_path) == [
        "edc/views/example.py:6: 'Nothing was saved.'"]
