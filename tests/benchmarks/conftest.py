"""Benchmarks are deselected by default; run them with: pytest tests/benchmarks -m benchmark"""

from __future__ import annotations

import os

import pytest

from tests.support.fixtures import app, as_role, nurse  # noqa: F401 (fixtures)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/benchmarks/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.benchmark)
