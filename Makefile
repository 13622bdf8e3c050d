# parcelsync task runner. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help install demo simulate test lint bench clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install parcelsync with its test tools

demo: $(STAMP)  ## the main job: central server + depot + handhelds syncing, on demo data
	$(BIN)/parcelsync demo

simulate: $(STAMP)  ## one simulated working day with chaos, printing a summary
	$(BIN)/parcelsync simulate

lint: $(STAMP)  ## ruff + mypy (strict on protocol/ and sync/)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy protocol sync

test: lint  ## lint, then the whole test suite
	$(BIN)/pytest

bench: $(STAMP)  ## benchmarks (full run; see README for figures)
	$(BIN)/parcelsync bench

clean:  ## remove the virtualenv and local databases
	rm -rf $(VENV) var .pytest_cache .hypothesis
