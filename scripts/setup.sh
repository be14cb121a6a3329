#!/usr/bin/env bash
# Install Marble into a local virtual environment (.venv), adding only what is missing.
#
#   scripts/setup.sh            # the library, CLI and app (+ three.js from npm for the editor's 3D viewport)
#   scripts/setup.sh test       # ... plus the test tools (pytest, hypothesis, playwright, ray) and the npm
#                               # packages the tests drive (validators, splat-transform, Spark)
#
# PyTorch: if .venv has no torch yet, the CPU build torch==2.13.0 is installed (override with
# MARBLE_TORCH="torch==X.Y.Z" or install your own CUDA build into .venv first). An installed torch is
# never replaced: it is pinned while the other packages install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

extras="${1:-}"
python_bin="${PYTHON:-python3}"

# System libraries first, before the long pip install: open3d (ray casting) needs libusb-1.0, and the
# browser tests need chromium. Installed with apt-get when we are root, else we stop with the command.
need=()
if [ "$(uname -s)" = Linux ] && ! ldconfig -p 2>/dev/null | grep -q libusb-1.0; then need+=(libusb-1.0-0); fi
if [ "$extras" = "test" ] && [ ! -x /usr/bin/chromium ]; then need+=(chromium); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[setup] apt-get install ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "[setup] error: Marble needs these system packages first: ${need[*]}" >&2
    echo "[setup] install them with:  sudo apt-get install ${need[*]}   (then run this script again)" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($python_bin --version 2>&1)"
  "$python_bin" -m venv .venv
fi
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)

if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "[setup] installing ${MARBLE_TORCH:-torch==2.13.0} (CPU build; set MARBLE_TORCH to choose another)"
  "${pip[@]}" install "${MARBLE_TORCH:-torch==2.13.0}"
fi
torch_version=$(.venv/bin/python -W ignore -c "import torch; print(torch.__version__)" 2>/dev/null)
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
echo "torch==${torch_version}" > "$constraints"

target="."
[ "$extras" = "test" ] && target=".[test]"
if [ -n "${MARBLE_SKIP_PIP:-}" ]; then
  echo "[setup] MARBLE_SKIP_PIP set: not installing Python packages"
else
  echo "[setup] installing Marble and its dependencies into .venv (torch ${torch_version} kept)"
  "${pip[@]}" install -c "$constraints" -e "$target"
fi

# npm packages: three.js for the editor's 3D viewport (always), the validators and viewers for the tests
if [ -f package.json ]; then
  if command -v npm >/dev/null; then
    omit=(); [ "$extras" = "test" ] || omit=(--omit=dev)
    echo "[setup] installing npm packages (three.js for the editor${extras:+, validators and viewers for the tests}) into ./node_modules"
    if [ -f package-lock.json ]; then npm ci "${omit[@]}" --no-audit --no-fund --loglevel=error
    else npm install "${omit[@]}" --no-audit --no-fund --loglevel=error; fi
  else
    echo "[setup] npm not found: the editor's 3D viewport needs three.js (install Node.js, then run npm ci)" >&2
  fi
fi
# The heavy libraries must import (a missing system library shows here, not in the middle of a run).
if ! check=$(.venv/bin/python -c 'import open3d, torch, trimesh, marble; print("marble", marble.__version__, "| torch", torch.__version__)' 2>&1); then
  echo "[setup] error: the installed libraries do not import: $(echo "$check" | tail -n 1)" >&2
  exit 1
fi
echo "[setup] done: $check"
