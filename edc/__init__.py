"""The mini-EDC for trial NCT06731192: follow-up scheduling and data capture.

The package root imports nothing: `import edc.rules.renal` must not load Flask or SQLAlchemy.
`edc.create_app` (for `flask --app edc`) is looked up from edc.app when first asked for.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from edc.app import create_app

        return create_app
    raise AttributeError(f"module 'edc' has no attribute {name!r}")
