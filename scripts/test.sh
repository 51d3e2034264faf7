#!/usr/bin/env bash
# Sets everything up, then runs every check: lint, types, and the whole test suite on
# SQLite and on PostgreSQL (127.0.0.1:5432, database `test`; override with TEST_DATABASE_URL).
# The PostgreSQL pass skips the tests that touch no database (tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev

export AICALL_DATA_DIR=${AICALL_DATA_DIR:-$PWD/var/test}
mkdir -p "$AICALL_DATA_DIR"
.venv/bin/ruff format --check src tests bench
.venv/bin/ruff check src tests bench
.venv/bin/mypy src/aicall

echo "== tests on SQLite"
.venv/bin/pytest "$@"
echo "== tests on PostgreSQL (those that touch a database; the rest ran above)"
DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
  AICALL_TEST_DATABASE_PASS_ONLY=1 .venv/bin/pytest "$@"
