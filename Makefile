# Entitle — `make run` serves the demo on embedded SQLite; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: install run test lint schema chromium clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

install: $(BIN)/.installed

# Links the demo hands out (QR codes, Tizra's redemption-url, reset emails) name the port it
# serves, unless SITE_URL is set.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)

run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=1 $(BIN)/python manage.py seed_demo
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check .

schema: install
	DEBUG=1 $(BIN)/python manage.py spectacular --file /dev/null --validate --fail-on-warn

# The browser tests drive Debian's Chromium (Playwright cannot download browsers here): install it
# when it is missing and we are root; otherwise say so, and those tests skip with that reason.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's Chromium for the browser tests (apt-get, about a minute)..."; \
	    (DEBIAN_FRONTEND=noninteractive apt-get update -qq \
	     && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	    || echo "Could not install Chromium: the browser tests will be skipped."; \
	  else \
	    echo "No /usr/bin/chromium and cannot apt-get it (not root): browser tests will be skipped."; \
	  fi; \
	fi

# PostgreSQL when one answers at DATABASE_URL (default: the local server), else SQLite with
# the PostgreSQL-only tests skipped and a line saying so.
test: install lint schema chromium
	DATABASE_URL="$$($(BIN)/python -m tests.database_url)" $(BIN)/pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory fuzz

.PHONY: fuzz bench

# schemathesis over every operation of the OpenAPI schema, over HTTP (gunicorn on loopback, a
# scratch database beside DATABASE_URL's); any 5xx fails (tests/fuzz/run_schemathesis.py).
fuzz: install
	DATABASE_URL="$$($(BIN)/python -m tests.database_url 2>/dev/null)" \
	$(BIN)/python -m tests.fuzz.run_schemathesis

# Benchmarks against their floors and ceilings measured in the same run (bench/run.py):
# one table, also written to bench/results/<date>.md and .json. Heavy: about 3½ minutes.
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
