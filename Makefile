.PHONY: setup run test bench bench-hub bench-load train eval
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

# the scaled-out stack (2 backend workers, 2 Rasa, PostgreSQL, Redis) under 50 and 200 residents: about 30 minutes
bench-load:
	./scripts/setup.sh && ./scripts/train.sh && .venv/bin/python -m benchmarks.load

train:
	./scripts/setup.sh && ./scripts/train.sh
eval:
	.venv-bot/bin/python scripts/triage_eval.py tests/bot/triage_eval.tsv
