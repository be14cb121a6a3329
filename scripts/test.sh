#!/usr/bin/env bash
# Install the test dependencies (Python test tools, system packages when root, npm validators) and run
# the whole test suite. Extra arguments go to pytest, e.g. scripts/test.sh -k export
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh test
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
# -n auto: one worker per core (2 in CI); --dist loadfile keeps module fixtures to one worker each
exec .venv/bin/python -m pytest -n auto --dist loadfile "$@"
