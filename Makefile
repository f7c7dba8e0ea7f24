# The two commands of the README:
#   make run   - install everything, migrate an SQLite database, load demo data, serve it
#                under gunicorn (gunicorn.run.conf.py)
#   make test  - install everything the tests need and run the whole suite
# make dev is `make run` on Flask's development server: reloader and debugger.
# Both work on a fresh clone with only Python 3.11+, Node/npm and apt present.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := lms.app

.PHONY: run dev demo-data test bench bench-certificates bench-deps lint format deps test-deps \
	assets browser clean

run: demo-data  ## serve the demo under gunicorn (2 sync workers); Ctrl-C stops it
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl-C stops it)"
	PORT=$(PORT) $(BIN)/gunicorn --config gunicorn.run.conf.py

dev: demo-data  ## the same on Flask's development server: reloads on changes, debugger
	$(BIN)/flask run --debug --host 127.0.0.1 --port $(PORT)

# Mail sent outside a request (the demo's invitations, `flask lms tick`) links here too.
run dev demo-data: export LMS_BASE_URL ?= http://127.0.0.1:$(PORT)

demo-data: deps assets
	$(BIN)/flask db upgrade
	$(BIN)/flask lms seed-demo --if-empty

# The suite on every core (pytest-xdist): each worker has its own throwaway database,
# SMTP server, live server and browser. TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= auto
test: test-deps assets browser
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

bench: test-deps assets  ## load every page under gunicorn; see benchmarks/README.md
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Our certificate PDF against WeasyPrint's, and a cohort's certificates as one ZIP.
bench-certificates: bench-deps  ## see README.md, "Performance at trust scale", Certificates
	$(BIN)/python -m benchmarks.certificates $(BENCH_ARGS)

bench-deps: $(VENV)/.bench-deps-installed
$(VENV)/.bench-deps-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres,redis,test,bench]'
	touch $(VENV)/.deps-installed $(VENV)/.test-deps-installed $@

lint: test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: test-deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

deps: $(VENV)/.deps-installed
$(VENV)/.deps-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres,redis]'
	touch $@

test-deps: $(VENV)/.test-deps-installed
$(VENV)/.test-deps-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres,redis,test]'
	touch $(VENV)/.deps-installed $@

assets: node_modules/nhsuk-frontend/package.json
node_modules/nhsuk-frontend/package.json: package.json
	npm install --no-audit --no-fund --no-package-lock
	touch $@

browser:  ## Debian chromium and fonts for the browser and PDF tests
	@scripts/ensure-debian-packages

clean:
	rm -rf $(VENV) node_modules .pytest_cache test-artifacts
