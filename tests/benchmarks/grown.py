"""The grown trial the benchmarks measure: built once with `edc grow`'s function and kept in a
cache folder, keyed by the generator's version and the newest migration, so a second run does not
wait for it.

EDC_BENCH_CHILDREN (default 10000; 10 and 1000 are the small sizes) sets its size and
EDC_BENCH_CACHE (default .bench-cache/ in the repository) where it is kept. Building 10,000
children takes minutes: see the README's Benchmarks section.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask

from edc import db
from edc.app import create_app
from edc.cli.grow import GROW_VERSION, grow, widen_codes
from edc.protocol.study import Study, load_study

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms"
# The site's today for the grown trial: fixed, so a cached database stays right for its pages.
TODAY = date(2026, 11, 2)
SEED = 13
PASSWORD = "demo-password"  # the grown trial's accounts are the demo's


def children() -> int:
    """How many children the benchmarks grow (EDC_BENCH_CHILDREN)."""
    value = os.environ.get("EDC_BENCH_CHILDREN", "10000")
    if not value.isdigit() or int(value) < 10:
        raise ValueError(f"Got EDC_BENCH_CHILDREN={value!r}. Expected a count of at least 10.")
    return int(value)


def cache() -> Path:
    """The folder that keeps grown databases between runs (EDC_BENCH_CACHE)."""
    folder = Path(os.environ.get("EDC_BENCH_CACHE", ROOT / ".bench-cache"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def migration_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(db.alembic_config("")).get_current_head()
    assert head is not None
    return head


def wide_forms(count: int) -> Path:
    """A copy of forms/ of this process's own, with participant codes wide enough for count
    children (two runs at once do not share one)."""
    return widen_codes(FORMS, Path(tempfile.mkdtemp(prefix="edc-bench-forms-")), count)


def wide_study(count: int) -> Study:
    """The study with participant codes wide enough for count children."""
    return load_study(wide_forms(count))


def bench_app(database: Path, forms: Path, **config: Any) -> Flask:
    """The app on a grown database, on the grown trial's today, as a site would run it."""
    settings = {"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{database}",
                "FORMS_DIR": str(forms), "STUDY": load_study(forms), "CLOCK": lambda: TODAY,
                "WTF_CSRF_ENABLED": False}
    return create_app({**settings, **config})


def grown_database(count: int) -> tuple[Path, float | None]:
    """The cached grown database of count children, built first if missing; with the build's
    children per second when it was built now (None when it came from the cache)."""
    name = (f"grown-v{GROW_VERSION}-{migration_head()}-{count}-seed{SEED}-"
            f"{TODAY.isoformat()}.sqlite3")
    target = cache() / name
    if target.exists():
        return target, None
    building = target.with_suffix(".building")
    for leftover in building.parent.glob(building.name + "*"):
        leftover.unlink()
    url = f"sqlite:///{building}"
    db.upgrade(url)
    app = bench_app(building, wide_forms(count))
    print(f"\nGrowing {count:,} children into {target} ...", file=sys.stderr)
    grown = grow(app, count, SEED,
                 progress=lambda n: print(f"  {n:,} children", file=sys.stderr)
                 if n % 1000 == 0 else None)
    engine = app.extensions["edc_engine"]
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    print(f"Grew {grown.children:,} children ({grown.rows:,} rows) in {grown.seconds:.0f} s: "
          f"{grown.children_per_second:.1f} children/s, {grown.rows_per_second:,.0f} rows/s.",
          file=sys.stderr)
    shutil.move(building, target)
    return target, grown.children_per_second


if __name__ == "__main__":
    print(grown_database(children()))
