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

# every benchmark the README and docs/benchmarks.md quote, with the arguments they quote
bench: setup-test
	.venv/bin/python bench/asr.py
	.venv/bin/python bench/asr.py --languages
	.venv/bin/python bench/asr.py --talks bench/talks
	.venv/bin/python bench/asr.py --talks bench/talks/check
	.venv/bin/python bench/diarization.py --webinars 10,60
	.venv/bin/python bench/diarization.py --voices --panels 40 --library
	.venv/bin/python bench/diarization.py --telephone 10 --rooms 10 --codecs 10
	.venv/bin/python bench/diarization.py --captions 40 --placed 10 --tracks 10
	.venv/bin/python bench/topics.py
	.venv/bin/python bench/functions.py
	.venv/bin/python bench/heard.py
	.venv/bin/python bench/batch.py
	.venv/bin/python bench/end_to_end.py --minutes 10,60,120
	.venv/bin/python bench/long_audio.py
	.venv/bin/python bench/slides.py
	.venv/bin/python bench/copies.py
	.venv/bin/python bench/parts.py
