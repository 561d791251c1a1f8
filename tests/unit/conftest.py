"""Unit tests: the pure packages (protocol, rules, formats, permissions), with no app, no
database and no Flask: `pytest tests/unit` runs them alone in seconds."""

from tests.support.study_files import forms  # noqa: F401 (fixture: a private copy of forms/)
