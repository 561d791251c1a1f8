"""Where the tests find the study definition and the golden files."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms"
GOLDEN = ROOT / "tests" / "golden"
