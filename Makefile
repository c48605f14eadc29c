# Customer Hub developer tasks. Needs only python3 (>= 3.11); everything else lives in .venv.
# `make` alone lists the targets.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

PYTEST_ARGS ?=
BENCH_ARGS  ?=

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.PHONY: help install run test bench bench-scale lint format migrate schema clean

help: ## list the targets
	@echo "Customer Hub: make TARGET"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Variables: PYTHON=$(PYTHON)  PYTEST_ARGS='...'  BENCH_ARGS='...'  (HOST, PORT etc. from the environment)"

# The virtualenv itself: created once, with a Python new enough for the project.
$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: '$(PYTHON)' not found; install Python >= 3.11 or run 'make PYTHON=/path/to/python3.11'" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "error: Customer Hub needs Python >= 3.11, but $(PYTHON) is $$($(PYTHON) -c 'import platform; print(platform.python_version())');" \
	       "run 'make PYTHON=/path/to/python3.11' (or newer)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# The project and its dev tools, reinstalled whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	@$(BIN)/pip install -q --upgrade pip || echo "warning: could not upgrade pip; carrying on with the bundled one" >&2
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -m schema.graphiql var/graphiql || echo "warning: GraphiQL's files could not be fetched; the page will load them from a CDN" >&2
	@touch $@

install: $(STAMP) ## create .venv and install the project with its dev tools

run: $(STAMP) ## migrate, seed the demo tenant, print a token, serve GraphiQL on http://HOST:PORT/graphql
	$(BIN)/customer-hub demo-token
	exec $(BIN)/python server.py

test: $(STAMP) ## run the test suite (PYTEST_ARGS='-k name -x' to narrow it)
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP) ## run the benchmarks (BENCH_ARGS='...' passed to python -m bench)
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-scale: $(STAMP) ## the benchmark at a million customers (BENCH_ARGS='...' to python -m bench.scale)
	$(BIN)/python -m bench.scale $(BENCH_ARGS)

lint: $(STAMP) ## check formatting and lint with ruff
	$(BIN)/ruff format --check . && $(BIN)/ruff check .

format: $(STAMP) ## reformat and apply ruff's safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(STAMP) ## upgrade the database in DATABASE_URL to the newest revision
	$(BIN)/customer-hub migrate

schema: $(STAMP) ## regenerate the committed SDL in schema.graphql
	$(BIN)/python -m schema.export > schema.graphql.tmp && mv schema.graphql.tmp schema.graphql || { rm -f schema.graphql.tmp; exit 1; }

clean: ## remove .venv, var/ (SQLite database, secret key, demo token) and caches
	rm -rf $(VENV) var build .pytest_cache .ruff_cache *.egg-info schema.graphql.tmp
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
