#!/usr/bin/env bash
# Set up and run the product locally: the case backend on http://127.0.0.1:8000 with a SQLite
# file in var/. (The Rasa assistant joins this command when it exists.) Ctrl+C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
mkdir -p var
# A service token for the action server, made once per checkout and kept out of git.
if [ ! -f var/secrets.env ]; then
  umask 077
  printf 'SERVICE_TOKEN=%s\n' "$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')" > var/secrets.env
fi
set -a; . var/secrets.env; set +a
export DATABASE_URL="${DATABASE_URL:-sqlite:///$PWD/var/complaints.db}"
.venv/bin/python -m backend.cli migrate
cat <<MSG
[run] backend on http://127.0.0.1:${PORT:-8000}  (API docs: /docs)
[run] first staff login: .venv/bin/python -m backend.cli create-user --email you@example.org --name "Your Name" --role manager
[run] the action server's token is in var/secrets.env
MSG
exec .venv/bin/uvicorn backend.main:app --host 127.0.0.1 --port "${PORT:-8000}"
