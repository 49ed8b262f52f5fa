# Entitle — `make run` serves the demo on embedded SQLite; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: install run test fuzz bench lint schema clean

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
# the PostgreSQL-only tests skipped and a line saying so. Then schemathesis fuzzes every
# operation of the OpenAPI schema over HTTP (gunicorn, a scratch database) and fails on a 5xx.
test: install lint schema
	DATABASE_URL="$$($(BIN)/python -m tests.database_url)" && export DATABASE_URL && \
	$(BIN)/pytest $(PYTEST_ARGS) && $(BIN)/python -m tests.fuzz.run_schemathesis

fuzz: install
	DATABASE_URL="$$($(BIN)/python -m tests.database_url)" $(BIN)/python -m tests.fuzz.run_schemathesis

# Benchmarks against their floors and ceilings measured in the same run (bench/run.py):
# one table, also written to bench/results/<date>.md and .json. Heavy: about 5 minutes.
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
