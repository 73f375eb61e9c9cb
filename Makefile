# The two commands of the README: `make demo` and `make test`. Both set everything up first.
.PHONY: setup setup-test demo test check lint bench

setup:
	bash scripts/setup.sh

setup-test:
	WITH_TEST_TOOLS=1 bash scripts/setup.sh

demo: setup
	.venv/bin/python cli.py demo

# two worker processes, a test file each (its module fixtures made once); the slowest tests listed
test: setup-test
	.venv/bin/ruff check .
	.venv/bin/python -m pytest -n 2 --dist loadfile --durations=15

# the fast tier for the inner loop (≤ 4 min): units, one end-to-end demo, the browser page
check: setup-test
	.venv/bin/ruff check .
	.venv/bin/python -m pytest -m check

lint: setup-test
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

bench: setup-test
	.venv/bin/python bench/asr.py
	.venv/bin/python bench/asr.py --languages
	.venv/bin/python bench/diarization.py --webinars 10,60
	.venv/bin/python bench/diarization.py --voices --library
	.venv/bin/python bench/topics.py
	.venv/bin/python bench/functions.py
	.venv/bin/python bench/batch.py
	.venv/bin/python bench/end_to_end.py --minutes 10,60,120
