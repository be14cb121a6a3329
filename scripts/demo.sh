#!/usr/bin/env bash
# One command from a fresh clone to a world: install what is missing into .venv, then generate a world
# from the default prompt on the embedded default (no weights, no GPU, no network).
#   scripts/demo.sh ["PROMPT"] [extra `marble generate` options]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
prompt="${1:-a cabin in a snowy pine forest at sunset}"
shift || true
exec .venv/bin/marble generate "$prompt" --out marble-out/demo "$@"
