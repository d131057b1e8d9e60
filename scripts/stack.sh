#!/usr/bin/env bash
# Start the three local processes on loopback and stop them all together:
#   backend (FastAPI) 127.0.0.1:$BACKEND_PORT, action server 127.0.0.1:$ACTIONS_PORT,
#   Rasa (REST channel) 127.0.0.1:$RASA_PORT. The backend is the conversation hub: web chat, and SMS,
#   WhatsApp and Telegram when their TWILIO_* / TELEGRAM_* settings are in the environment.
# Expects SERVICE_TOKEN and DATABASE_URL in the environment (run.sh sets them).
#
# Scale-out on loopback (what docker-compose.yml does, without Docker): WEB_WORKERS=2 RASA_COUNT=2 with
# DATABASE_URL on PostgreSQL and REDIS_URL set runs two backend workers and two Rasa servers (ports
# RASA_PORT, RASA_PORT+1) sharing their trackers in PostgreSQL (TRACKER_DB_*; see bot/endpoints.scaleout.yml)
# and their locks in Redis (LOCK_STORE_*).
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND_PORT=${BACKEND_PORT:-8000} ACTIONS_PORT=${ACTIONS_PORT:-5055} RASA_PORT=${RASA_PORT:-5005}
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 PYTHONPATH="$PWD"  # PYTHONPATH: the pipeline component bot.components
mkdir -p var/log
pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

WEB_WORKERS=${WEB_WORKERS:-1} RASA_COUNT=${RASA_COUNT:-1}
if [ "$WEB_WORKERS" -gt 1 ] && [ -z "${REDIS_URL:-}" ]; then
  echo "[run] WEB_WORKERS=$WEB_WORKERS needs REDIS_URL (live updates between workers) and DATABASE_URL on PostgreSQL" >&2; exit 2
fi
endpoints=bot/endpoints.yml rasa_urls=""
if [ "$RASA_COUNT" -gt 1 ]; then
  endpoints=bot/endpoints.scaleout.yml
  for v in TRACKER_DB_HOST TRACKER_DB_PORT TRACKER_DB_NAME TRACKER_LOGIN_DB TRACKER_DB_USER TRACKER_DB_PASSWORD \
           LOCK_STORE_HOST LOCK_STORE_PORT LOCK_STORE_DB LOCK_STORE_PREFIX; do
    [ -n "${!v+set}" ] || { echo "[run] RASA_COUNT=$RASA_COUNT needs $v (see bot/endpoints.scaleout.yml)" >&2; exit 2; }
  done
  # the retention run erases anonymised residents' conversations from Rasa's trackers too
  # (set RASA_TRACKER_DATABASE_URL yourself if the password needs URL-encoding)
  export RASA_TRACKER_DATABASE_URL="${RASA_TRACKER_DATABASE_URL:-postgresql+psycopg://$TRACKER_DB_USER:$TRACKER_DB_PASSWORD@$TRACKER_DB_HOST:$TRACKER_DB_PORT/$TRACKER_DB_NAME}"
fi
for i in $(seq 0 $((RASA_COUNT - 1))); do rasa_urls+="${rasa_urls:+,}http://127.0.0.1:$((RASA_PORT + i))"; done

RASA_URL="$rasa_urls" .venv/bin/uvicorn backend.main:app --host 127.0.0.1 --port "$BACKEND_PORT" --workers "$WEB_WORKERS" > var/log/backend.log 2>&1 &
pids+=($!)
BACKEND_URL="http://127.0.0.1:$BACKEND_PORT" SANIC_HOST=127.0.0.1 \
  .venv-bot/bin/python -m rasa_sdk --actions actions --port "$ACTIONS_PORT" > var/log/actions.log 2>&1 &
pids+=($!)
for i in $(seq 0 $((RASA_COUNT - 1))); do
  ACTION_ENDPOINT_URL="http://127.0.0.1:$ACTIONS_PORT/webhook" \
    .venv-bot/bin/rasa run --model models/complaints.tar.gz --endpoints "$endpoints" --credentials bot/credentials.yml \
    -i 127.0.0.1 -p "$((RASA_PORT + i))" > "var/log/rasa$i.log" 2>&1 &
  pids+=($!)
done

wait_for() {  # wait_for NAME URL
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$2" 2>/dev/null; then echo "[run] $1 is up: $2"; return 0; fi
    sleep 1
  done
  echo "[run] $1 did not start; see var/log/" >&2; return 1
}
wait_for backend "http://127.0.0.1:$BACKEND_PORT/healthz"
wait_for "action server" "http://127.0.0.1:$ACTIONS_PORT/health"
for i in $(seq 0 $((RASA_COUNT - 1))); do wait_for "rasa $i" "http://127.0.0.1:$((RASA_PORT + i))/"; done
cat <<MSG
[run] everything is running.
  Web chat (a resident's view):      http://127.0.0.1:$BACKEND_PORT/chat
  Embed it on a page:                <script src="http://127.0.0.1:$BACKEND_PORT/chat/widget.js" async></script>
  Agent console (staff login):       http://127.0.0.1:$BACKEND_PORT/agent
  Complaints officers' dashboard:    http://127.0.0.1:$BACKEND_PORT/officer
  Managers' reports:                 http://127.0.0.1:$BACKEND_PORT/reports
  API documentation:                 http://127.0.0.1:$BACKEND_PORT/docs
  Straight to Rasa's REST channel:
  curl -s -XPOST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -d '{"sender": "me", "message": "the boiler is broken"}'
[run] Ctrl+C stops all three.
MSG
wait -n
echo "[run] a process stopped; see var/log/" >&2
