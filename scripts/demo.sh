#!/usr/bin/env bash
# The main job on embedded defaults, on a fresh machine: installs what it needs
# into .venv, then `manage.py demo` starts a broker and Redis where none answers,
# the consumer and the HTTP server on :8080, sends one request and a short
# load, and prints vegeta's report. Extra arguments go to `manage.py demo`
# (e.g. --rps 500 --dur 20s, or --keep-running).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
exec .venv/bin/python manage.py demo "$@"
