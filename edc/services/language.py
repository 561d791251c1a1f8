"""The study's own words (forms/*.toml) in the reader's language.

Every label there has its English and its Chinese: a Chinese reader (the request's locale is zh)
gets the Chinese, anyone else the English. The services name items and units in their messages
with `label_of`; the views and templates show labels with it (the `label` and `other_label`
filters). Outside a request the reader is English (the CLI, the demo loader).
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _


def reads_chinese() -> bool:
    """Return whether the reader's locale is Chinese."""
    locale = get_locale()
    return locale is not None and locale.language == "zh"


def in_reader_language(english: str, chinese: str) -> str:
    """Return the Chinese for a Chinese reader (where there is one), else the English."""
    return chinese if chinese and reads_chinese() else english


def _pair(thing: Any) -> tuple[str, str]:
    """The English and Chinese of a field, unit, choice, visit or arm (label, label_zh), of a
    case report form (title, title_zh) or of a criterion (text, text_zh)."""
    if hasattr(thing, "label_zh"):
        return thing.label, thing.label_zh
    if hasattr(thing, "title_zh"):
        return thing.title, thing.title_zh
    return thing.text, thing.text_zh


def label_of(thing: Any) -> str:
    """Return a study item's label (field, unit, choice, visit, arm, form, criterion) as the
    reader reads it."""
    return in_reader_language(*_pair(thing))


def entry_name(form: Any, number: Any) -> str:
    """Return one entry of a log form as the reader names it: "Adverse events, entry 2"."""
    return _("%(log)s, entry %(n)s", log=label_of(form), n=number)


def other_label(thing: Any) -> str:
    """Return the label in the reader's other language, or "" where it reads the same (shown
    beneath, for matching a lab report written in the other language)."""
    english, chinese = _pair(thing)
    other = english if reads_chinese() else chinese
    return "" if other == label_of(thing) else other


def qualifier(field: Any, stored: str | None) -> str:
    """Return a stored qualitative result ("too numerous to count") as the reader reads it."""
    if not stored:
        return ""
    if stored in field.qualitative and len(field.qualitative_zh) == len(field.qualitative):
        return in_reader_language(stored, field.qualitative_zh[field.qualitative.index(stored)])
    return stored
