# Leadflow: `make demo` runs the whole pipeline on embedded defaults; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench bench-full lint typecheck unit integration e2e chromium clean

$(STAMP): pyproject.toml
	@echo "==> Creating $(VENV) and installing Leadflow with its dependencies (once; about a minute, more on a slow network)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)
	@echo "==> Installed."

demo: $(STAMP)
	@echo "==> Running the demo: HubSpot twin, Leadflow's setup, seeding, then the simulated weeks"
	$(BIN)/leadflow demo

# The benchmark against the twin with HubSpot's limits, real Redis and PostgreSQL (docs/performance.md).
bench: $(STAMP)
	$(BIN)/leadflow bench

bench-full: $(STAMP)
	$(BIN)/leadflow bench --full

# pytest-xdist: the suite waits more than it computes (servers, workers, HubSpot's retry waits), so four workers
# pay even on two cores; `worksteal` hands a worker that ran out the tests another still holds. Each worker has its
# own Redis database (tests/conftest.py); TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 4

test: lint typecheck chromium
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

e2e: $(STAMP) chromium
	$(BIN)/python -m pytest -q tests/e2e

# The dashboard's browser test drives Debian's chromium (never a browser Playwright downloads): install it when
# missing, as root or through sudo.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "==> Installing Debian's chromium for the browser tests (apt-get)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium; \
	  else echo "chromium is missing and this is neither root nor sudo: apt-get install chromium" >&2; exit 1; fi; }

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis *.egg-info leadflow.db* test-artifacts demo-dashboard.html
