"""A private copy of forms/ that a test may break, and what loading the broken copy says."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edc.protocol.study import StudyDefinitionError, load_study
from tests.support.paths import FORMS


@pytest.fixture
def forms(tmp_path: Path) -> Path:
    """A private copy of forms/ that a test may break."""
    return Path(shutil.copytree(FORMS, tmp_path / "forms"))


def edit(forms: Path, name: str, old: str, new: str) -> None:
    """Replace one exact piece of text in forms/name (and make sure it was there)."""
    path = forms / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def load_error(forms: Path) -> StudyDefinitionError:
    """What loading the (broken) study in forms says."""
    with pytest.raises(StudyDefinitionError) as info:
        load_study(forms)
    return info.value


def broken(forms: Path, name: str, old: str, new: str) -> StudyDefinitionError:
    """Edit forms/name, then return what loading the study says."""
    edit(forms, name, old, new)
    return load_error(forms)
