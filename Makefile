# Honorloop — every target sets up what it needs by itself.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ECONOMY ?= economies/koc_community.toml
TEST_JOBS ?= auto                    # pytest-xdist workers for `make test` (0: one process)

.DEFAULT_GOAL := help

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,dask,parquet,calibrate]'
	@touch $(STAMP)

.PHONY: help
help: ## List the targets with what they do
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

.PHONY: install
install: $(STAMP) ## Create .venv and install Honorloop with its dev tools (pinned)

.PHONY: run
run: $(STAMP) ## Start the API on SQLite with the sample economy (http://127.0.0.1:8000/graphql)
	$(BIN)/honorloop serve --economy $(ECONOMY)

.PHONY: guide
guide: $(STAMP) ## Print the contribution-value guide of the sample economy
	$(BIN)/honorloop economy guide $(ECONOMY)

.PHONY: test
test: $(STAMP) ## Run lint, types, import layers and every test; fails below 95% coverage of domain/
	$(MAKE) --no-print-directory lint typecheck
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist loadfile --cov --cov-report=term-missing

.PHONY: test-unit
test-unit: $(STAMP) ## Run the domain specifications in tests/unit (in-memory store, seconds)
	$(BIN)/python -m pytest -q tests/unit

.PHONY: test-integration
test-integration: $(STAMP) ## Run tests/integration: the SQL store on SQLite, PostgreSQL if HONORLOOP_TEST_POSTGRES_URL
	$(BIN)/python -m pytest -q tests/integration

.PHONY: test-e2e
test-e2e: $(STAMP) ## Run tests/e2e: GraphQL over HTTP and WebSocket, the CLI, load tests
	$(BIN)/python -m pytest -q tests/e2e

.PHONY: test-simulation
test-simulation: $(STAMP) ## Run tests/simulation: the simulator, its reports and its parity with the stores
	$(BIN)/python -m pytest -q tests/simulation

.PHONY: lint
lint: $(STAMP) ## ruff (lint + format check) and import-linter (layers)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

.PHONY: typecheck
typecheck: $(STAMP) ## mypy --strict over every package
	$(BIN)/mypy

.PHONY: hooks
hooks: $(STAMP) ## Install pre-commit (pinned) and its git hook: lint and typecheck before each commit
	$(BIN)/python -m pip install --quiet -c constraints.txt pre-commit
	$(BIN)/pre-commit install

.PHONY: format
format: $(STAMP) ## Apply ruff formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: lock
lock: $(STAMP) ## Re-pin constraints.txt from the current environment
	$(BIN)/python -m pip freeze --exclude-editable | sed '1i # Pinned versions of every dependency (pip install -c constraints.txt). Regenerate with `make lock`.' > constraints.txt

.PHONY: clean
clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage

.PHONY: migrate
migrate: $(STAMP) ## Create or upgrade the database schema at DATABASE_URL (default sqlite:///honorloop.db)
	$(BIN)/python -m persistence.sql

.PHONY: schema
schema: $(STAMP) ## Regenerate schema.graphql from the code (a test fails when it drifts)
	$(BIN)/python -m api.schema > schema.graphql

.PHONY: bench
bench: $(STAMP) ## Run every benchmark: bench-api, bench-store and bench-sim (figures only, no assertions)
	$(MAKE) --no-print-directory bench-api
	$(MAKE) --no-print-directory bench-store
	$(MAKE) --no-print-directory bench-sim

.PHONY: profile-api
profile-api: $(STAMP) ## Where the server's time goes under wrk (py-spy): PROFILE_ARGS='--operation recordActivity --database-url URL'
	$(BIN)/python -m benchmarks.profile_api $(PROFILE_ARGS)

.PHONY: bench-sim
bench-sim: $(STAMP) ## Simulator speed: member-days/s at 100,000 members x 365 days, with baselines
	$(BIN)/python -m benchmarks.bench_sim $(BENCH_ARGS)

.PHONY: bench-sim-instructions
bench-sim-instructions: $(STAMP) ## Simulator cost in instructions (callgrind, small fixed run): per activity, and the ratio to a baseline
	$(BIN)/python -m benchmarks.bench_sim_instructions $(BENCH_ARGS)

.PHONY: bench-store
bench-store: $(STAMP) ## Measure record_activity/s through the SQL store (SQLite; PostgreSQL if HONORLOOP_TEST_POSTGRES_URL)
	$(BIN)/python -m benchmarks.bench_store
	@if [ -n "$$HONORLOOP_TEST_POSTGRES_URL" ]; then $(BIN)/python -m benchmarks.bench_store --database "$$HONORLOOP_TEST_POSTGRES_URL"; fi

.PHONY: bench-levels
bench-levels: $(STAMP) ## What spend-driven levels cost record_activity (memory store): posts and purchases as ratios to posts on a ladder of points
	$(BIN)/python -m benchmarks.bench_levels $(BENCH_ARGS)

.PHONY: bench-api
bench-api: $(STAMP) ## API req/s, p50/p95/p99 under wrk as ratios to a no-op mutation on the same stack, plus in-process calls/s (SQLite; PostgreSQL if HONORLOOP_TEST_POSTGRES_URL; needs wrk)
	$(BIN)/python -m benchmarks.bench_api $(BENCH_API_ARGS)

# The optional compiled accelerator (issue 11; tools/accel.py). `make test` and `make run`
# never need it: the pure-Python packages are the reference.
ACCEL_JOBS ?= 2                      # parallel C compiles of `make accel`
ACCEL_TESTS ?= tests/unit tests/simulation/test_parity.py tests/simulation/test_determinism.py tests/simulation/test_accel.py

.PHONY: accel
accel: $(STAMP) ## Compile the hot domain modules with mypyc into .accel/ (cached by source hash); HONORLOOP_ACCEL=1 imports them
	$(BIN)/python -m tools.build_accel --jobs $(ACCEL_JOBS)

.PHONY: accel-clean
accel-clean: ## Remove the compiled builds and their import hook (back to the pure packages only)
	rm -rf .accel
	rm -f $(VENV)/lib/python*/site-packages/honorloop_accel.pth $(VENV)/lib/python*/site-packages/_honorloop_accel.py

.PHONY: test-accel
test-accel: accel ## Build the accelerator, then run tests/unit, the simulator's parity specs and tests/simulation/test_accel.py on the compiled modules
	HONORLOOP_ACCEL=1 $(BIN)/python -m pytest -q -n $(ACCEL_JOBS) --dist loadfile $(ACCEL_TESTS)
