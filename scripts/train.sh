#!/usr/bin/env bash
# Train the Rasa model into models/complaints.tar.gz, only when the training data, domain or
# config changed since the last training (a fingerprint is kept next to the model).
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 PYTHONPATH="$PWD"  # PYTHONPATH: the pipeline component bot.components
fingerprint=$(cat bot/config.yml $(find bot/domain data -type f -name '*.yml' | sort) | sha256sum | cut -c1-32)
if [ -f models/complaints.tar.gz ] && [ "$(cat models/.fingerprint 2>/dev/null)" = "$fingerprint" ]; then
  echo "[train] model is up to date"
  exit 0
fi
mkdir -p models
echo "[train] training the Rasa model (a few minutes on 2 cores)"
start=$(date +%s)
.venv-bot/bin/rasa train --domain bot/domain --data data --config bot/config.yml --out models \
  --fixed-model-name complaints --quiet > var/train.log 2>&1 || { tail -30 var/train.log >&2; exit 1; }
echo "$fingerprint" > models/.fingerprint
echo "[train] done in $(( $(date +%s) - start )) s: models/complaints.tar.gz"
