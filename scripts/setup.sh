#!/usr/bin/env bash
# Set up both Python environments from the project's own pinned files. Safe to run again: an
# environment is only reinstalled when its lock file changes.
#   .venv      backend (Python 3.11+)  from backend/requirements.lock
#   .venv-bot  Rasa 3.6 (Python 3.10)  from bot/requirements.lock
# SKIP_BOT=1 skips the Rasa environment.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

python_at_least() {  # python_at_least CMD MAJOR MINOR [EXACT]
  "$1" -c "import sys; v=sys.version_info[:2]; want=($2,$3); sys.exit(0 if (v==want if '${4:-}' else v>=want) else 1)" 2>/dev/null
}

find_backend_python() {
  for cmd in "${PYTHON_BACKEND:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1 && python_at_least "$cmd" 3 11 && { command -v "$cmd"; return; }
  done
  return 1
}

find_python310() {
  local candidates=("${PYTHON310:-}" python3.10)
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=("$(pyenv root)"/versions/3.10.*/bin/python)
  fi
  candidates+=("$HOME"/.pyenv/versions/3.10.*/bin/python /usr/bin/python3.10 /usr/local/bin/python3.10)
  for cmd in "${candidates[@]}"; do
    [ -n "$cmd" ] && { [ -x "$cmd" ] || command -v "$cmd" >/dev/null 2>&1; } && python_at_least "$cmd" 3 10 exact && { command -v "$cmd" || echo "$cmd"; return; }
  done
  return 1
}

pip_quiet() {  # pip_quiet VENV ARGS...: pip without the noise of this machine's unused local indexes
  local venv=$1; shift
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" 2> >(grep -v "is ignored: it is neither" >&2)
}

install_env() {  # install_env VENV PYTHON LOCKFILE
  local venv=$1 py=$2 lock=$3 stamp
  stamp="$venv/.installed-$(sha256sum "$lock" | cut -c1-16)"
  if [ -f "$stamp" ]; then say "$venv is up to date"; return; fi
  say "installing $venv from $lock (with $py)"
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  pip_quiet "$venv" --upgrade "pip<25"
  pip_quiet "$venv" -r "$lock"
  rm -f "$venv"/.installed-*
  touch "$stamp"
}

backend_py=$(find_backend_python) || {
  echo "[setup] No Python 3.11 or newer found. Install it (Debian/Ubuntu: apt-get install python3.11 python3.11-venv)" >&2
  echo "        or point PYTHON_BACKEND at one." >&2
  exit 1
}
install_env .venv "$backend_py" backend/requirements.lock

if [ "${SKIP_BOT:-0}" != "1" ]; then
  py310=$(find_python310) || {
    echo "[setup] Rasa 3.6 needs Python 3.10 and none was found." >&2
    echo "        Install one, e.g. 'pyenv install 3.10.13' or 'apt-get install python3.10 python3.10-venv'," >&2
    echo "        or set PYTHON310=/path/to/python3.10. (SKIP_BOT=1 sets up the backend alone.)" >&2
    exit 1
  }
  install_env .venv-bot "$py310" bot/requirements.lock
fi
mkdir -p var
say "done"
