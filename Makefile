# Baton: two commands on a fresh machine — `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: docs docs-serve demo test lint typecheck unit clean bench-demo bench-calibration bench-ingest bench-redaction bench-replay bench-batch local-llm bench-decisions bench-review bench-judges bench-simulate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

$(DOCS_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@ $(STAMP)

demo: $(STAMP)  ## set up and run the end-to-end demo on a simulated study (no network, no keys)
	$(BIN)/baton demo --out-dir demo-out

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

unit: $(TEST_STAMP)
	$(BIN)/pytest

test: lint typecheck unit  ## set up and run ruff, mypy and pytest

docs: $(DOCS_STAMP)  ## build the documentation site into site/ (strict: a broken link fails)
	NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true $(BIN)/mkdocs build --strict --quiet

docs-serve: $(DOCS_STAMP)  ## serve the documentation on http://127.0.0.1:8000 while you edit it
	NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true $(BIN)/mkdocs serve

clean:
	rm -rf $(VENV) demo-out site .mypy_cache .ruff_cache .pytest_cache

bench-demo: $(STAMP)  ## demo speed and how often its calls match the simulated truth
	$(BIN)/python -m benchmarks.demo --seeds 20

bench-simulate: $(STAMP)  ## seconds per synthetic table at the calibration benchmark's size
	$(BIN)/python -m benchmarks.simulate

bench-judges: $(STAMP)  ## reference_match against NQ-301's human labels; the LLM-judge path's speed
	$(BIN)/python -m benchmarks.judges

bench-ingest: $(TEST_STAMP)  ## time and peak memory to ingest 5.3M Parquet rows and 1M JSONL lines (ARGS="--engines duckdb,spark --sizes 5300000,50000000" compares the engines)
	$(BIN)/python -m benchmarks.ingest $(ARGS)

bench-redaction: $(STAMP)  ## redaction recall and false positives per type over the corpus; speed
	$(BIN)/python -m benchmarks.redaction

bench-calibration: $(STAMP)  ## calibration coverage, width, efficiency, false acceptance; speed (~80 min, 500 replications)
	$(BIN)/python -m benchmarks.calibration --reps 500 --real-reps 24

bench-decisions: $(STAMP)  ## labels to a decision by arm, false acceptance, power, plan vs simulation (40 min cap)
	$(BIN)/python -m benchmarks.decisions --reps 300 --minutes 40 --workers 2

local-llm:  ## build (once per machine, cached outside the repo) and serve SmolLM2-135M on :8080
	scripts/local-llm.sh serve 8080

bench-replay: $(TEST_STAMP)  ## replay throughput (bare SDK, engine, Inspect AI; native providers vs their SDKs) and memory at 100k items
	$(BIN)/python -m benchmarks.replay

bench-batch: $(TEST_STAMP)  ## batch replay: 100,000 requests through the batch stub, peak memory, writes per result
	$(BIN)/python -m benchmarks.batch

bench-review: $(TEST_STAMP)  ## review app: label submissions/s and p99 latency, 8 raters, SQLite and PostgreSQL
	$(BIN)/python -m benchmarks.review
	$(BIN)/python -m benchmarks.review --rate 200
