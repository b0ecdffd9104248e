# Two commands work on a fresh machine with Python 3.11, make and git:
#   make repro   set up the pinned environment and run the whole pipeline (dvc repro)
#   make test    set up the same environment and run the whole test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: env repro test test-fast lint bench lock r-reference clean-env

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

env: $(STAMP)

# dvc runs each stage's `python -m pipeline ...` with the environment's python first on PATH.
repro: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

test: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff format --check pipeline tests benchmarks
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/mypy pipeline

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Re-pin every dependency (exact versions and hashes) from pyproject.toml, with uv's resolver.
lock:
	$(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet uv
	.lockenv/bin/uv pip compile --quiet --python-version 3.11 --universal --extra dev --generate-hashes --no-header -o requirements.lock pyproject.toml
	rm -rf .lockenv

clean-env:
	rm -rf $(VENV)
