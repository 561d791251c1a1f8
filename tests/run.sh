#!/usr/bin/env bash
# Install the test dependencies and run the whole suite: on SQLite with the browser tests in
# Debian's Chromium, then on PostgreSQL (a throw-away cluster from pg_virtualenv).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pg_virtualenv >/dev/null 2>&1 || missing+=(postgresql-common)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]} from Debian's packages"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check .

# The two runs share nothing but the code: PostgreSQL's runs beside SQLite's (a machine has two
# cores or more), and its report follows SQLite's.
postgresql_log=$(mktemp)
trap 'rm -f "$postgresql_log"' EXIT
pg_virtualenv sh -c 'createdb edc_ci && EDC_TEST_DATABASE_URL=postgresql+psycopg:///edc_ci \
    .venv/bin/python -m pytest -p no:cacheprovider -m "not benchmark and not browser and not load" "$@"' \
    sh "$@" >"$postgresql_log" 2>&1 &
postgresql=$!

echo "== SQLite, with the browser tests in Chromium"
sqlite=0
.venv/bin/python -m pytest "$@" || sqlite=$?

echo "== PostgreSQL"
status=0
wait "$postgresql" || status=$?
cat "$postgresql_log"
[ "$sqlite" -eq 0 ] && [ "$status" -eq 0 ]
