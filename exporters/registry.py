"""The format registry: exporters and importers keyed by file extension.

Each format module registers itself here when ``exporters`` is imported (see ``__init__``).
Extensions are matched longest first, so ``scene.compressed.ply`` picks ``.compressed.ply``
before ``.ply``. A format whose optional dependency is missing registers a stand-in that
raises only when used (the trimesh pattern), so one broken library never hides the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from marble.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from exporters.scene import ExportOptions, ExportScene
    from marble.world import World


@dataclass(frozen=True)
class Exporter:
    """One output format.

    Attributes:
        extension: lower-case extension with the dot (``".spz"``, ``".compressed.ply"``).
        write: ``write(scene, path, options) -> list[Path]`` writing through ``marble.io`` atomics.
        description: one line for ``--help`` and the docs.
        content: ``"splats"``, ``"meshes"``, ``"both"`` or ``"other"`` (cameras, panorama).
    """

    extension: str
    write: "Callable[[ExportScene, Path, ExportOptions], list[Path]]"
    description: str
    content: str = "splats"


@dataclass(frozen=True)
class Importer:
    """One input format: ``read(path, **options) -> World``."""

    extension: str
    read: "Callable[..., World]"
    description: str


EXPORTERS: dict[str, Exporter] = {}
IMPORTERS: dict[str, Importer] = {}


def register_exporter(exporter: Exporter) -> Exporter:
    """Add ``exporter`` to :data:`EXPORTERS` (a later registration replaces an earlier one)."""
    EXPORTERS[exporter.extension.lower()] = exporter
    return exporter


def register_importer(importer: Importer) -> Importer:
    """Add ``importer`` to :data:`IMPORTERS`."""
    IMPORTERS[importer.extension.lower()] = importer
    return importer


def match_extension(path: str | Path, table: dict, *, what: str = "export") -> str:
    """The registered extension ``path`` ends with (longest match first).

    Raises:
        InputError: no registered extension matches; the message lists the supported ones.
    """
    name = Path(path).name.lower()
    for ext in sorted(table, key=len, reverse=True):
        if name.endswith(ext) and len(name) > len(ext):
            return ext
    supported = ", ".join(sorted(table))
    raise InputError(f"cannot {what} {str(path)!r}: unknown extension; supported: {supported}")


def unavailable(extension: str, reason: str) -> Callable:
    """A writer/reader stand-in that raises when used because a dependency is missing."""

    def _raise(*_args, **_kwargs):
        raise InputError(f"format {extension} is unavailable in this installation: {reason}")

    return _raise
