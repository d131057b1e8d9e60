.PHONY: setup run test bench train eval
setup:
	./scripts/setup.sh
run:
	./scripts/run.sh
test:
	./scripts/test.sh
bench:
	./scripts/setup.sh && .venv/bin/python -m benchmarks.deadlines && .venv/bin/python -m benchmarks.officer_queue
train:
	./scripts/setup.sh && ./scripts/train.sh
eval:
	.venv-bot/bin/python scripts/triage_eval.py tests/bot/triage_eval.tsv
