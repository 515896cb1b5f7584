#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need
# into .venv, then runs pytest. The tests start their own broker, Redis,
# consumers and daphne processes on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# The plot test renders the page in Debian's Chromium.
if ! command -v chromium >/dev/null 2>&1 && [ -x /usr/bin/apt-get ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

exec .venv/bin/python -m pytest "$@"
