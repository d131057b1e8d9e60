#!/usr/bin/env bash
# The one test command: set up from the lock files, lint, validate and train the assistant when its
# data changed, then run every test (backend on SQLite and PostgreSQL, actions against a real
# backend, Rasa test stories, and end-to-end conversations through all three processes).
# With CI=true a missing PostgreSQL or Rasa environment is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
mkdir -p var
# Debian packages some tests use: Chromium for the browser tests (driven by Playwright, never a
# downloaded browser) and docker-compose to check docker-compose.yml (no engine is needed).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium chromium-driver)
{ docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; } || need+=(docker-compose)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[test] installing Debian packages: ${need[*]}"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" \
      || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; }; } > var/apt.log 2>&1 \
      || echo "[test] could not install ${need[*]} (see var/apt.log); the tests that need them will say so" >&2
  else
    echo "[test] not installed: ${need[*]} (Debian: apt-get install ${need[*]}); the tests that need them will say so" >&2
  fi
fi
echo "[test] ruff"
.venv/bin/ruff check backend tests benchmarks actions scripts bot
.venv/bin/ruff format --check backend tests benchmarks actions scripts bot
if [ -x .venv-bot/bin/rasa ]; then
  export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 PYTHONPATH="$PWD"
  echo "[test] rasa data validate"
  .venv-bot/bin/rasa data validate --domain bot/domain --data data --config bot/config.yml --quiet > var/validate.log 2>&1 \
    || { cat var/validate.log >&2; exit 1; }
  ./scripts/train.sh
  echo "[test] rasa test stories"
  rm -rf var/story-results
  .venv-bot/bin/rasa test core --model models/complaints.tar.gz --stories tests/bot/test_stories.yml \
    --fail-on-prediction-errors --out var/story-results --quiet > var/stories.log 2>&1 \
    || { tail -40 var/stories.log >&2; cat var/story-results/failed_test_stories.yml >&2 2>/dev/null; exit 1; }
fi
echo "[test] pytest"
exec .venv/bin/python -m pytest -q "$@"
