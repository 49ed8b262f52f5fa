# Entitle — `make run` serves the demo on embedded SQLite; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: install run worker test lint schema chromium redis clean

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
	@[ -n "$$CELERY_BROKER_URL" ] || echo "Webhooks: no CELERY_BROKER_URL, so this server sends them itself after commit (see README)."
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Celery worker with the embedded beat (the sweep of due webhook deliveries) on the broker named
# by CELERY_BROKER_URL (default: Redis on loopback). On several machines: `worker` on each,
# `celery -A config beat` on one (README, "Events and webhooks").
CELERY_BROKER_URL ?= redis://127.0.0.1:6379/0
worker: install
	CELERY_BROKER_URL=$(CELERY_BROKER_URL) DEBUG=1 $(BIN)/celery -A config worker -B \
	  --loglevel=INFO -s $(VENV)/celerybeat-schedule

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

# The webhook delivery tests run a real Celery worker against Redis (the suite's own database
# number, TEST_REDIS_URL, flushed first): start a Redis on loopback when none answers.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export TEST_REDIS_URL
redis: install
	@if ! $(BIN)/python -c "import redis; redis.Redis.from_url('$(TEST_REDIS_URL)', socket_connect_timeout=2).ping()" 2>/dev/null; then \
	  if ! command -v redis-server >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's redis-server for the delivery tests (apt-get)..."; \
	    (DEBIAN_FRONTEND=noninteractive apt-get update -qq \
	     && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null 2>&1; \
	  fi; \
	  if command -v redis-server >/dev/null; then \
	    echo "Starting Redis on 127.0.0.1:6379 for the delivery tests."; \
	    redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no >/dev/null; \
	  else \
	    echo "No Redis answers at $(TEST_REDIS_URL) and none can be started: the delivery tests will fail."; \
	  fi; \
	fi

# PostgreSQL when one answers at DATABASE_URL (default: the local server), else SQLite with
# the PostgreSQL-only tests skipped and a line saying so.
test: install lint schema chromium redis
	DATABASE_URL="$$($(BIN)/python -m tests.database_url)" $(BIN)/pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory fuzz

.PHONY: fuzz bench

# schemathesis over every operation of the OpenAPI schema, over HTTP (gunicorn on loopback, a
# scratch database beside DATABASE_URL's); any 5xx fails (tests/fuzz/run_schemathesis.py).
fuzz: install
	DATABASE_URL="$$($(BIN)/python -m tests.database_url 2>/dev/null)" \
	$(BIN)/python -m tests.fuzz.run_schemathesis

# Benchmarks against their floors and ceilings measured in the same run (bench/run.py):
# one table, also written to bench/results/<date>.md and .json. Heavy: about 30 minutes (the
# 10,000,000-code rows are 20 of them; BENCH_ARGS="--only ROW" runs some rows).
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
