# Entitle — `make run` serves the demo on embedded SQLite; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: install run test lint schema clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

install: $(BIN)/.installed

run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=1 $(BIN)/python manage.py seed_demo
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check .

schema: install
	DEBUG=1 $(BIN)/python manage.py spectacular --file /dev/null --validate --fail-on-warn

# PostgreSQL when one answers at DATABASE_URL (default: the local server), else SQLite with
# the PostgreSQL-only tests skipped and a line saying so.
test: install lint schema
	DATABASE_URL="$$($(BIN)/python -m tests.database_url)" $(BIN)/pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory fuzz

.PHONY: fuzz bench

# schemathesis over every operation of the OpenAPI schema, over HTTP (gunicorn on loopback, a
# scratch database beside DATABASE_URL's); any 5xx fails (tests/fuzz/run_schemathesis.py).
fuzz: install
	DATABASE_URL="$$($(BIN)/python -m tests.database_url 2>/dev/null)" \
	$(BIN)/python -m tests.fuzz.run_schemathesis

# Benchmarks against their floors and ceilings measured in the same run (bench/run.py):
# one table, also written to bench/results/<date>.md and .json. Heavy: about 2 minutes.
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
