#!/usr/bin/env bash
# Sets everything up, then runs aicall (website, API, dialer) on http://127.0.0.1:8000
# with the embedded SQLite database in ./var. Extra arguments go to `aicall serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/aicall serve "$@"
