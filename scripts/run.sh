#!/usr/bin/env bash
# Set up and run the product locally: the case backend (http://127.0.0.1:8000, SQLite file in
# var/), the Rasa assistant's REST channel (http://127.0.0.1:5005) and its action server
# (127.0.0.1:5055), all on loopback. The model is trained first when the training data changed.
# Ctrl+C stops everything.
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
./scripts/train.sh
echo "[run] first staff login: .venv/bin/python -m backend.cli create-user --email you@example.org --name \"Your Name\" --role manager"
exec ./scripts/stack.sh
