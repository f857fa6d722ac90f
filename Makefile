# One place for the commands the README shows; CI runs `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup browser lint test demo serve bench eval

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# CPU build first: an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev,milvus,openvino]'
	touch $(STAMP)

setup: $(STAMP)

browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

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
