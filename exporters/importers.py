"""Turning decoded files into Worlds, and the :func:`import_file` entry point."""

from __future__ import annotations

from pathlib import Path

from exporters.registry import IMPORTERS, match_extension
from marble.errors import FormatError, InputError
from marble.gaussians import Gaussians
from marble.io import sanitize_name


def layer_name_for(path: str | Path) -> str:
    """A layer name from a file name: ``"garden.compressed.ply" -> "garden"``."""
    name = Path(path).name.split(".")[0]
    return sanitize_name(name, fallback="imported")


def world_from_gaussians(g: Gaussians, path: str | Path, *, layer: str | None = None):
    """A one-layer World holding ``g`` (world frame), its provenance naming the source file."""
    from marble.world import Layer, Provenance, World

    try:
        g.validate()
    except InputError as exc:
        raise FormatError(f"{Path(path).name}: {exc}") from exc
    name = layer or layer_name_for(path)
    w = World([Layer(name, label="imported", gaussians=g)], provenance=Provenance(inputs={"import": Path(path).name}))
    return w


def import_file(path: str | Path, **options):
    """Read ``path`` into a :class:`~marble.world.World`; the format is chosen by extension.

    Args:
        path: a ``.ply``, ``.compressed.ply``, ``.splat``, ``.spz`` or ``.glb`` file.
        **options: format options (e.g. ``axes="rub"`` for a ``.ply`` in the world frame).
    Raises:
        InputError: unknown extension or missing file.
        FormatError: the file is malformed (names the file and the problem).
    """
    p = Path(path)
    ext = match_extension(p, IMPORTERS, what="import")
    if not p.is_file():
        raise InputError(f"{str(p)!r} does not exist or is not a file")
    return IMPORTERS[ext].read(p, **options)
