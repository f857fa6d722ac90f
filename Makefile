# One place for the commands the README shows; CI runs `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup browser lint test demo serve bench bench-serve eval

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# CPU build first: an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	# setuptools announces every editable install with a notice block; it is not a problem.
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install -q -e '.[dev,milvus,openvino]'
	touch $(STAMP)

setup: $(STAMP)

# Chromium for the browser tests, and a CJK font so its pages and screenshots show
# Chinese instead of boxes (the tests pass with or without the font).
BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk

browser:
	@dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq $(BROWSER_PACKAGES))

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# -m "" replaces pyproject's default marker filter: CI runs every test, gate, slow and browser.
test: setup browser lint
	$(VENV)/bin/pytest -q -m ""

demo: setup
	$(VENV)/bin/policyqa index build
	$(VENV)/bin/policyqa ask "新乡高新区的氢能目标是什么"

serve: setup
	$(VENV)/bin/policyqa serve --docs corpus

eval: setup
	$(VENV)/bin/policyqa eval --gold eval/gold/tune.jsonl eval/gold/heldout.jsonl eval/gold/dev.jsonl --out reports/eval

bench: setup
	$(VENV)/bin/policyqa index build
	$(PY) bench/build_bench.py
	$(PY) bench/retrieval_bench.py
	$(PY) bench/load_bench.py
	$(PY) bench/cli_errors_bench.py

# The long serving benchmarks: a 5-minute soak (memory, latency, a build published
# while serving) and sign-in under guessing (about 2 minutes).
bench-serve: setup
	$(PY) bench/soak_bench.py
	$(PY) bench/soak_bench.py --seconds 120 --publish-at 60
	$(PY) bench/signin_bench.py
