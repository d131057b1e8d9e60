.PHONY: setup run test bench bench-hub train eval
setup:
	./scripts/setup.sh
run:
	./scripts/run.sh
test:
	./scripts/test.sh
bench:
	./scripts/setup.sh && .venv/bin/python -m benchmarks.deadlines && .venv/bin/python -m benchmarks.officer_queue

# the conversation hub against raw Rasa (starts backend, action server and Rasa; a few minutes)
bench-hub:
	./scripts/setup.sh && ./scripts/train.sh && .venv/bin/python -m benchmarks.hub --pace && .venv/bin/python -m benchmarks.hub --saturate
train:
	./scripts/setup.sh && ./scripts/train.sh
eval:
	.venv-bot/bin/python scripts/triage_eval.py tests/bot/triage_eval.tsv
