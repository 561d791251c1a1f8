"""Load tests are deselected by default; run them with: pytest tests/load -m load"""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/load/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.load)
