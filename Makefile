# The two commands a new user needs (README): `make run` and `make test`.
# Both set everything up first: the virtualenv and packages, and for the tests the Debian packages and a
# private PostgreSQL server (scripts/pg-test-server), so that the suite runs on SQLite AND PostgreSQL, and
# Debian's chromium with a Chinese font for the browser tests (tests/browser: Playwright, whose pip wheel
# carries its driver; `playwright install` is never run, no browser is downloaded).
# The PDF minutes (WeasyPrint) need a Chinese font and libharfbuzz-subset0 for `make run` too; the tests
# read the PDFs back with poppler's pdftotext.
SHELL := /bin/bash
PORT ?= 5000
WORKER_INTERVAL ?= 60
# pytest-xdist workers for `make test`: one per core of CI's 2 (PostgreSQL's backends share those cores too);
# TEST_WORKERS=auto uses every core of a bigger machine.
TEST_WORKERS ?= 2
VENV := .venv
BIN := $(VENV)/bin
export LAWFLOW_INSTANCE ?= $(CURDIR)/instance

.PHONY: setup run test lint bench fuzz

setup:
	@scripts/bootstrap

# The timer worker (reminders, overdue notices, periods that close themselves: `lawflow worker`) runs as its own
# process beside the web server, as it would under a service manager: not a thread in each gunicorn worker (each
# would scan the same timers) and never inside a request. Stopping `make run` (Ctrl-C) stops both.
run: setup
	@scripts/ensure-system-packages fonts-noto-cjk libharfbuzz-subset0 graphviz
	@$(BIN)/lawflow init
	@$(BIN)/lawflow demo --if-missing
	@echo "lawflow: http://127.0.0.1:$(PORT)  (demo accounts: see README)"
	@$(BIN)/lawflow worker --interval $(WORKER_INTERVAL) & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	LAWFLOW_SHOW_DEMO_ACCOUNTS=1 $(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:$(PORT) --access-logfile - 'web:create_app()'

lint: setup
	@$(BIN)/ruff check .
	@$(BIN)/lawflow definitions check

# The suite's files live in memory where the machine has a tmpfs: the per-test SQLite databases and records
# (TMPDIR, which pytest's tmp_path and tempfile follow) and the test PostgreSQL server's cluster (its own
# directory, apart from the one `make bench` measures on disk). Both keep production's settings — SQLite
# synchronous=FULL, PostgreSQL fsync=on and synchronous_commit=on — but on tmpfs a sync costs nothing, and the
# syncs to disk were most of the suite's wall time (bench/RESULTS.md, "The suite on tmpfs"). Durability across a
# power loss is not what the suite tests. TEST_TMP=/tmp keeps everything on disk.
# Python writes its bytecode cache even where the environment says not to (PYTHONDONTWRITEBYTECODE): the suite
# starts a few hundred Python processes (xdist workers, the CLI, the worker, the verifier), and each compiled
# lawflow's and the tests' modules again, assertion rewriting included.
TEST_TMP ?= $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo /tmp)

test: setup lint
	@scripts/ensure-system-packages chromium fonts-noto-cjk libharfbuzz-subset0 poppler-utils graphviz
	@set -a; eval "$$(LAWFLOW_PG_DIR=$(TEST_TMP)/lawflow-pg scripts/pg-test-server start)"; set +a; \
	env -u PYTHONDONTWRITEBYTECODE TMPDIR=$(TEST_TMP) LAWFLOW_TEST_REQUIRE_PG=1 LAWFLOW_TEST_REQUIRE_BROWSER=1 \
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# The API's fuzzing with many generated requests per operation (the suite runs five per operation and mode): a longer,
# separate run, on both databases, like `make test`'s set-up.
FUZZ_EXAMPLES ?= 300
fuzz: setup
	@set -a; eval "$$(LAWFLOW_PG_DIR=$(TEST_TMP)/lawflow-pg scripts/pg-test-server start)"; set +a; \
	env -u PYTHONDONTWRITEBYTECODE TMPDIR=$(TEST_TMP) LAWFLOW_TEST_REQUIRE_PG=1 LAWFLOW_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) tests/api/test_schemathesis.py

bench: setup
	@set -a; eval "$$(scripts/pg-test-server start)"; set +a; \
	$(BIN)/python bench/run.py
