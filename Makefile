# Baithak: `make run` serves on http://127.0.0.1:5000, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := baithak

.PHONY: run serve test test-postgres lint format clean chromium nginx yardstick bench profile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Install again only when the requirements change: the app's own for run/serve,
# the test and lint tools as well for test/lint.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

# init-db is idempotent (it applies pending migrations) and honours DATABASE_URL.
run: $(VENV)/.installed
	@$(BIN)/flask init-db
	@$(BIN)/flask share-address --host $(HOST) --port $(PORT)
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# Production-style: one eventlet worker (see README, "Production").
serve: $(VENV)/.installed
	@$(BIN)/flask init-db
	$(BIN)/gunicorn -k eventlet -w 1 -b $(HOST):$(PORT) wsgi:app

test: $(VENV)/.installed-dev chromium yardstick
	$(BIN)/pytest $(PYTEST_ARGS)

# The suite on PostgreSQL: every test's app gets a database of its own on the
# server at TEST_DATABASE_URL (tests/testdb.py), dropped afterwards. The
# browser tests (tests/e2e) are left out: they drive the same server code as
# tests/test_server.py and tests/test_reliability.py, which do run here, and
# ask nothing more of the database. No PostgreSQL there: this skips, saying
# so, but fails in CI ($$CI set).
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1/postgres
test-postgres: $(VENV)/.installed-dev yardstick
	@if ! $(BIN)/python -m tests.testdb '$(TEST_DATABASE_URL)'; then \
	  if [ -n "$$CI" ]; then \
	    echo "make test-postgres: FAILED: no PostgreSQL at TEST_DATABASE_URL in CI" >&2; \
	    exit 1; \
	  fi; \
	  echo "make test-postgres: SKIPPED: start PostgreSQL, or set TEST_DATABASE_URL=postgresql://..."; \
	  exit 0; \
	fi; \
	BAITHAK_TEST_DATABASE_URL='$(TEST_DATABASE_URL)' $(BIN)/pytest --ignore=tests/e2e $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Debian's Chromium for the browser tests (tests/e2e). Installed when missing and
# we are root with apt-get (CI); elsewhere the browser tests skip and say why.
chromium:
	@if [ -n "$$BAITHAK_CHROMIUM" ] || { [ -x /usr/bin/chromium ] && \
	     [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; }; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Chromium and an emoji font for the browser tests (apt-get)"; \
	  apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core fonts-noto-color-emoji >/dev/null; \
	else \
	  echo "No Chromium: browser tests will skip (sudo apt-get install chromium)"; \
	fi

# Debian's nginx, for the bench only: with several Baithak processes it spreads
# loadgen's connections over them (bench/README.md). Installed when missing
# and we are root with apt-get; elsewhere it says so and the bench refuses
# those runs. Nothing starts it as a service (the bench runs its own).
nginx:
	@if [ -n "$$BAITHAK_BENCH_NGINX" ] || command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing nginx for the multi-process bench (apt-get)"; \
	  apt-get update -qq && apt-get install -y -qq nginx >/dev/null; \
	else \
	  echo "No nginx: the bench cannot run several processes (sudo apt-get install nginx)"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts bench/.yardstick

# Performance against the Node reference (bench/README.md). The shared
# yardstick (../shared/bench, or BAITHAK_YARDSTICK) is copied into
# bench/.yardstick/ and `npm ci` runs there when its package-lock changed.
# Without node (or the shared folder) this only warns: the bench smoke test
# then skips, or fails in CI.
yardstick:
	@$(PYTHON) -m bench.yardstick --optional

RUNS ?= 3
SCENARIOS ?= classroom saturate rooms connect
BENCH_ARGS ?=
# Scale-out: PROCESSES=N gunicorns behind nginx, sharing the Redis message
# queue and a PostgreSQL database; QUEUE=1 turns the queue and PostgreSQL on
# with one process, PROXY=1 puts nginx in front of one.
# QUIET_WAIT=S: before each pair wait up to S s for an idle machine.
PROCESSES ?= 1
QUEUE ?=
PROXY ?=
QUIET_WAIT ?= 0
BENCH_SERVER = $(if $(filter-out 1,$(PROCESSES)), PROCESSES=$(PROCESSES),)$(if $(QUEUE), QUEUE=1,)$(if $(PROXY), PROXY=1,)
# make bench RUNS=1 SCENARIOS="saturate" BENCH_ARGS="--transport upgrade --size 2000"
# make bench RUNS=1 SCENARIOS="saturate classroom" PROCESSES=3
bench: $(VENV)/.installed $(if $(filter-out 1,$(PROCESSES))$(PROXY),nginx,)
	$(BIN)/python -m bench.run --runs $(RUNS) --scenarios "$(SCENARIOS)" \
	  --loadgen-args="$(BENCH_ARGS)" --processes $(PROCESSES) \
	  $(if $(QUEUE),--queue,) $(if $(PROXY),--proxy,) --quiet-wait $(QUIET_WAIT) \
	  --command "make bench RUNS=$(RUNS) SCENARIOS='$(SCENARIOS)'$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)',)$(BENCH_SERVER)"

# py-spy on Baithak's worker during one scenario (no reference run); py-spy
# is installed in .venv only for this (requirements-profile.txt).
PROFILE_SCENARIO ?= saturate
$(VENV)/.installed-profile: requirements-profile.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-profile.txt
	touch $@

profile: $(VENV)/.installed $(VENV)/.installed-profile
	$(BIN)/python -m bench.run --profile $(PROFILE_SCENARIO) --loadgen-args="$(BENCH_ARGS)"
