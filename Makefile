# roomgate — every target sets itself up; `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP  := $(VENV)/.installed
PORT   ?= 8000
HOST   ?= 127.0.0.1
PYTEST_ARGS ?=

.PHONY: install demo serve migrate worker test test-fast lint typecheck bench clean lock

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "roomgate needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(BIN)/uv: $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

# Re-installs only when the lock or the project metadata changed.
$(STAMP): $(BIN)/uv requirements.lock pyproject.toml
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

demo: install
	$(BIN)/roomgate demo --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/roomgate serve --host $(HOST) --port $(PORT)

# `roomgate` is .venv/bin/roomgate (or `roomgate` after `source .venv/bin/activate`).
migrate: install
	$(BIN)/roomgate migrate

worker: install
	$(BIN)/roomgate worker

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy src/roomgate

bench: install
	$(BIN)/python bench/availability.py
	$(BIN)/python bench/pms_calls.py
	$(BIN)/python bench/checkout.py
	$(BIN)/python bench/ledger.py

# Re-resolve the lock file after editing pyproject.toml dependencies.
lock: $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .roomgate .pytest_cache
