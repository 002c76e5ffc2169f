# Executable documentation: the commands the README and CI use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench bench-research run clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)  ## the newcomer's first run: sample feeds, console output, no token
	$(BIN)/trialwatch demo

test: $(STAMP)  ## the whole test suite (PostgreSQL too when TRIALWATCH_TEST_POSTGRES_URL is set)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)  ## the bench suite: 1,000 loopback feeds, naive vs aiohttp vs trialwatch, matching
	$(BIN)/python -m bench

bench-research: $(STAMP)  ## search over 100k stored articles, export of 100k rows (minutes)
	$(BIN)/python -m bench.research

run: $(STAMP)
	$(BIN)/trialwatch run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
