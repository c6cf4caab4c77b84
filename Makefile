# supportdesk — the two commands a newcomer needs: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/supportdesk_test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test install lint typecheck unit bench model clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the desk on the embedded SQLite database with demo data.
serve: $(STAMP)
	$(BIN)/supportdesk serve --demo --host $(HOST) --port $(PORT)

## Install everything and run every check and test (lint, types, unit, integration on SQLite
## and PostgreSQL, end-to-end HTTP and browser tests).
test: $(STAMP)
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	SUPPORTDESK_TEST_POSTGRES_URL=$(PG_URL) SUPPORTDESK_REQUIRE_BROWSER=1 $(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

model: $(STAMP)
	$(BIN)/supportdesk model train

bench: $(STAMP)
	bash scripts/ensure-postgres.sh
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
