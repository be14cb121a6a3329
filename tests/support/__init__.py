"""Helpers the tests share: worlds to edit, tiny learned models, batch checks, a hand-built scene."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
"""The repository's root folder (``scripts/``, ``node_modules/``, ``app.py``)."""
