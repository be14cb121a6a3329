"""The format registry: exporters and importers keyed by file extension.

Every built-in format is listed here as data, its writer and reader named as ``"module:function"``
and loaded on first use, so the list itself is cheap to read (``marble --help``, the editor's menus,
job-file checks) and one format's missing library never breaks the others. Extensions are matched
longest first, so ``scene.compressed.ply`` picks ``.compressed.ply`` before ``.ply``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from marble.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from exporters.scene import ExportOptions, ExportScene
    from marble.world import World


def _load(target: "str | Callable", extension: str) -> Callable:
    """A callable, or the function a ``"module:function"`` string names (imported now).

    Raises:
        InputError: the format's module cannot be imported (a library it needs is missing).
    """
    if callable(target):
        return target
    module, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise InputError(f"format {extension} is unavailable in this installation ({exc}): "
                         f"reinstall Marble's dependencies (scripts/setup.sh)") from exc


@dataclass(frozen=True)
class Exporter:
    """One output format.

    Attributes:
        extension: lower-case extension with the dot (``".spz"``, ``".compressed.ply"``).
        writer: ``write(scene, path, options) -> list[Path]`` writing through ``marble.io`` atomics,
            or the ``"module:function"`` that holds it.
        description: one line for ``--help`` and the docs.
        content: ``"splats"``, ``"meshes"``, ``"both"`` or ``"other"`` (cameras, panorama).
    """

    extension: str
    writer: "str | Callable[[ExportScene, Path, ExportOptions], list[Path]]"
    description: str
    content: str = "splats"

    def write(self, scene: "ExportScene", path: Path, options: "ExportOptions") -> list[Path]:
        """Write ``scene`` to ``path`` (loads the format's module on first use)."""
        return _load(self.writer, self.extension)(scene, path, options)


@dataclass(frozen=True)
class Importer:
    """One input format: ``read(path, **options) -> World`` (or the ``"module:function"`` holding it)."""

    extension: str
    reader: "str | Callable[..., World]"
    description: str

    def read(self, path: Path, **options) -> "World":
        """Read ``path`` into a World (loads the format's module on first use)."""
        return _load(self.reader, self.extension)(path, **options)


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


USD_EXTENSIONS = (".usd", ".usda", ".usdc", ".usdz")

for _exporter in (
    Exporter(".ply", "exporters.ply:write_ply", "3DGS PLY (INRIA layout; SuperSplat, gsplat, nerfstudio)"),
    Exporter(".compressed.ply", "exporters.compressed_ply:write_compressed_ply", "PlayCanvas/SuperSplat chunked compressed PLY"),
    Exporter(".splat", "exporters.splat:write_splat", "antimatter15 .splat (32 bytes per splat)"),
    Exporter(".spz", "exporters.spz:write_spz", "Niantic SPZ (v4 zstd, or v3 gzip; quantised; RUB)"),
    Exporter(".glb", "exporters.gltf:write_glb", "binary glTF: meshes + KHR_gaussian_splatting", "both"),
    Exporter(".gltf", "exporters.gltf:write_gltf", "JSON glTF with embedded buffer", "both"),
    *(Exporter(ext, "exporters.usd:write_usd", "OpenUSD stage: meshes + ParticleField3DGaussianSplat", "both")
      for ext in USD_EXTENSIONS),
    Exporter(".png", "exporters.panorama:write_panorama", "equirectangular panorama render", "other"),
    Exporter(".json", "exporters.cameras_json:write_cameras_json", "camera path (nerfstudio transforms.json layout)", "other"),
):
    register_exporter(_exporter)

for _importer in (
    Importer(".ply", "exporters.ply:read_ply_file", "3DGS PLY"),
    Importer(".compressed.ply", "exporters.compressed_ply:read_compressed_ply_file", "compressed PLY"),
    Importer(".splat", "exporters.splat:read_splat_file", "antimatter15 .splat"),
    Importer(".spz", "exporters.spz:read_spz_file", "Niantic SPZ (v2-v4)"),
    Importer(".glb", "exporters.gltf:read_glb_file", "GLB meshes and KHR_gaussian_splatting splats"),
):
    register_importer(_importer)


def preload() -> list[str]:
    """Import every registered format's module now (batch workers warm up once, not in a job);
    returns the extensions whose module could not be imported (their use raises a clear error)."""
    missing = []
    for fmt in [*EXPORTERS.values(), *IMPORTERS.values()]:
        target = fmt.writer if isinstance(fmt, Exporter) else fmt.reader
        try:
            _load(target, fmt.extension)
        except InputError:
            missing.append(fmt.extension)
    return missing


def supported_export_formats() -> list[str]:
    """Registered export extensions, sorted (``[".compressed.ply", ".glb", ...]``)."""
    return sorted(EXPORTERS)


def supported_import_formats() -> list[str]:
    """Registered import extensions, sorted."""
    return sorted(IMPORTERS)
