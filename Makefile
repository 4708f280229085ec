# Fallwerk – developer commands. `make run` starts the app with demo data, `make test` runs
# the whole suite (including the browser test in Debian's Chromium).

PYTHON ?= python3
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
CHROMIUM := /usr/bin/chromium

.DEFAULT_GOAL := help
.PHONY: help venv install translations assets run test chromium slapd bench bench-write bench-report lint clean

help:
	@echo "make run    – install, migrate, load demo data, serve on http://127.0.0.1:$(PORT)"
	@echo "make test   – install and run the test suite (pytest; browser test in $(CHROMIUM))"
	@echo "make bench  – timings at 1,000 / 10,000 / 100,000 cases (SIZE=ci: 200 / 1,000; DATABASE_URL: PostgreSQL)"
	@echo "make lint   – ruff check, import contracts (lint-imports), mypy (types of app/ and forms/)"
	@echo "make clean  – remove the virtualenv and caches (keeps instance/, the dev database)"

venv: $(STAMP)
install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed (or the venv is new).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# Compiled catalogs (*.mo) are not in git: build them from app/translations/*/LC_MESSAGES/*.po.
translations: install
	@if ls app/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel compile -d app/translations; fi

# Front-end bundles (bpmn-js modeler and viewer) from package.json / assets/ into
# app/static/build/ (git-ignored). Rebuilt only when a source or the lock file changed.
NPM_STAMP := node_modules/.installed
ASSETS_STAMP := app/static/build/.built

assets: $(ASSETS_STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS_STAMP): $(NPM_STAMP) $(wildcard assets/*)
	node assets/build.mjs
	touch $@

run: install translations assets
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) processes sync
	@# The timer worker (due dates, end of assignment) runs next to the web server and stops
	@# with it; on SQLite run exactly one worker.
	$(FLASK) timers run & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Best effort: the browser test needs Debian's Chromium. Without it the test skips locally
# (with the reason), and fails when CI is set.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser test ..."; \
	    (DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	     DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	      echo "warning: could not install chromium; the browser test will skip (or fail in CI)"; \
	  else \
	    echo "note: $(CHROMIUM) missing and apt-get unavailable (or not root);" \
	         "the browser test will skip (or fail in CI)"; \
	  fi; \
	fi

# Every core: test files are spread over pytest-xdist workers (a file stays on one worker, so
# its module fixtures and the PostgreSQL database of the worker are its own).
PYTEST_ARGS ?= -n auto --dist loadfile

# Best effort, like chromium: the directory (LDAP) tests start their own OpenLDAP slapd from
# Debian's package. Without it they skip locally (with the reason), and fail when CI is set.
slapd:
	@if [ ! -x /usr/sbin/slapd ] || ! command -v ldapsearch >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's slapd and ldap-utils for the directory tests ..."; \
	    (DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	     DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils >/dev/null) || \
	      echo "warning: could not install slapd; the directory tests will skip (or fail in CI)"; \
	  else \
	    echo "note: /usr/sbin/slapd missing and apt-get unavailable (or not root);" \
	         "the directory tests will skip (or fail in CI)"; \
	  fi; \
	fi

test: install translations chromium slapd assets
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# make bench              1,000 / 10,000 / 100,000 cases (SQLite, or DATABASE_URL=postgresql+psycopg://...)
# make bench SIZE=ci      200 and 1,000 cases, at most 5 samples per figure (a few minutes)
# make bench-report       SQLite and PostgreSQL side by side (instance/bench-*.json)
BENCH_ENV = $(if $(filter ci,$(SIZE)),BENCH_SIZES=200,1000 BENCH_SAMPLES=5 BENCH_LOG_ROWS=10000,)
bench: install
	$(BENCH_ENV) PYTHONPATH=. $(BIN)/python bench/bench.py
	$(BIN)/python bench/report.py

bench-report:
	$(BIN)/python bench/report.py

# The write side alone (completion vs engine, SQL statements, timers at once): bench/bench_write.py
bench-write: install
	PYTHONPATH=. $(BIN)/python bench/bench_write.py

lint: install
	$(BIN)/ruff check app forms tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy app forms

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache .mypy_cache build *.egg-info
	find . -path ./node_modules -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
