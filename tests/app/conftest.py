"""App tests: the app on a fresh database per test, clients per role, children made through the
services (tests/support/fixtures.py)."""

from tests.support.fixtures import (  # noqa: F401 (fixtures)
    allocation,
    app,
    as_role,
    client,
    clock,
    enrolled,
    nurse,
    runner,
    scheduled,
)
