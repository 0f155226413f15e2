# Baton: two commands on a fresh machine — `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint typecheck unit clean bench-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

demo: $(STAMP)  ## set up and run the end-to-end demo on a simulated study (no network, no keys)
	$(BIN)/baton demo --out demo-out

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

unit: $(TEST_STAMP)
	$(BIN)/pytest

test: lint typecheck unit  ## set up and run ruff, mypy and pytest

clean:
	rm -rf $(VENV) demo-out .mypy_cache .ruff_cache .pytest_cache

bench-demo: $(STAMP)  ## demo speed and how often its calls match the simulated truth
	$(BIN)/python -m benchmarks.demo --seeds 20
