#!/usr/bin/env bash
# The one test command: set up from the lock files, lint, then run every test.
# The backend suite runs on SQLite and on PostgreSQL (127.0.0.1:5432, database `test`, or
# TEST_PG_ADMIN_URL); with CI=true a missing PostgreSQL is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
echo "[test] ruff"
.venv/bin/ruff check backend tests benchmarks
.venv/bin/ruff format --check backend tests benchmarks
echo "[test] pytest"
exec .venv/bin/python -m pytest -q "$@"
