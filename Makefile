# Recovery College — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask
export FLASK_APP := wsgi.py

.PHONY: run test test-fast lint format check audit bench translations extract-messages install chromium wrk dovecot node-tools clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

translations: install
	$(BIN)/pybabel compile --use-fuzzy -d college/translations -D messages --statistics 2>&1 | tail -n 1

# Pull every translatable string into the catalogue; then fill in the Danish. Babel skips
# every folder whose name starts with "_" unless told which folders to skip, and the shared
# macros live in templates/_macros. The catalogue test runs the same extraction.
EXTRACT_ARGS := -F babel.cfg --ignore-dirs ".* __pycache__ node_modules instance test-results" -k _l -k lazy_gettext -k lazy_ngettext:1,2
extract-messages: install
	$(BIN)/pybabel extract $(EXTRACT_ARGS) -o college/translations/messages.pot .
	$(BIN)/pybabel update -i college/translations/messages.pot -d college/translations -D messages --no-fuzzy-matching

# Quiet on purpose: what a newcomer needs is the address, the mail folder and the logins.
run: translations
	@$(FLASK) db upgrade
	@$(FLASK) college demo --if-empty
	@$(FLASK) college welcome --url http://127.0.0.1:5000
	@# The mail worker is started again if it ever stops, so mail keeps going out.
	@( trap 'kill $$mailer 2>/dev/null; exit 0' TERM INT; \
	   while true; do \
	     $(FLASK) college deliver-mail --interval 2 & mailer=$$!; wait $$mailer; \
	     echo "The mail worker stopped; starting it again."; sleep 2; \
	   done ) & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host 127.0.0.1 --port 5000

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

node-tools: node_modules/.package-lock.json

# Browser tests drive Debian's Chromium; install it when missing and we may.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  elif [ "$$CI" = "true" ]; then \
	    echo "Chromium is required in CI but missing." >&2; exit 1; \
	  else \
	    echo "Chromium is missing; browser tests will be skipped."; \
	  fi; \
	fi

# The benchmark's load generator is Debian's wrk; install it when missing and we may.
wrk:
	@if ! command -v wrk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's wrk for the benchmark..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  elif [ "$$CI" = "true" ]; then \
	    echo "wrk is required in CI but missing." >&2; exit 1; \
	  else \
	    echo "wrk is missing; the benchmark smoke test will be skipped."; \
	  fi; \
	fi

# The mailbox tests read replies from Debian's dovecot; install it when missing and we may.
dovecot:
	@if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's dovecot-imapd for the mailbox tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; \
	  elif [ "$$CI" = "true" ]; then \
	    echo "dovecot is required in CI but missing." >&2; exit 1; \
	  else \
	    echo "dovecot is missing; the mailbox tests will be skipped."; \
	  fi; \
	fi

test: translations node-tools chromium wrk dovecot check
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "No tests ran." >&2; exit 1; fi; exit $$status

# The edit-test loop: SQLite only, no browser journeys, no benchmark run. `make test` (CI)
# still runs everything.
FAST_ARGS := -m "not browser" --ignore=tests/browser --ignore=tests/bench/test_smoke.py
test-fast: translations node-tools
	TEST_ENGINES=sqlite $(BIN)/python -m pytest -p no:cacheprovider $(FAST_ARGS) $(PYTEST_ARGS); \
	  status=$$?; if [ $$status -eq 5 ]; then echo "No tests ran." >&2; exit 1; fi; exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Where the rules live, types are checked too.
TYPED := college/services college/signals.py college/outbox college/transactions.py college/privacy.py \
	college/retention.py college/inbox.py courses/invites courses/services courses/outcomes courses/dropin \
	$(wildcard college/calendar.py courses/enrolment/services \
	peers/services.py peers/services) bench

# Lint (ruff's rule set includes the bandit security rules, "S") and types; CI runs it.
check: lint audit
	$(BIN)/mypy $(TYPED)

# Known vulnerabilities in the installed packages, from PyPI's JSON API (per release). Where
# that cannot be reached (a registry mirror without it), say so and go on.
PROBE_RELEASE := import importlib.metadata as m, urllib.request; \
  urllib.request.urlopen("https://pypi.org/pypi/flask/" + m.version("flask") + "/json", timeout=10)
audit: install
	@if $(BIN)/python -c '$(PROBE_RELEASE)' 2>/dev/null; then \
	  $(BIN)/pip install --quiet pip-audit && \
	  $(BIN)/pip freeze --exclude-editable | $(BIN)/pip-audit --progress-spinner off -r /dev/stdin; \
	else \
	  echo "pip-audit not run: PyPI's per-release data (vulnerabilities) cannot be reached from here."; \
	fi

# The full benchmark (PostgreSQL at BENCH_POSTGRES_URL); BENCH_ARGS="--scale 0.1" for a quick one.
BENCH_ARGS ?= --scale 1 --compare-with 0.1
bench: translations wrk
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .mypy_cache
