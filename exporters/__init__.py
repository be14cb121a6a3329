"""Exporters and importers: every format a Marble world can go to or come from.

    from exporters import export, import_file
    export(world, "garden.glb", profile="quest3")      # -> [garden.glb, garden.collider.glb, ...]
    world = import_file("scan.spz")

The format is chosen by the file's extension (longest match, so ``.compressed.ply`` wins over
``.ply``). ``EXPORTERS``/``IMPORTERS`` (:mod:`exporters.registry`) map extensions to formats whose
modules load on first use; a VR profile (:mod:`exporters.profiles`, budgets in
:mod:`exporters.budgets`) prunes splats and decimates meshes to its budget before writing. Every
file is written atomically: on error nothing is left at the final names.
"""

from __future__ import annotations

import os
from pathlib import Path

from exporters.registry import (
    EXPORTERS,
    IMPORTERS,
    Exporter,
    Importer,
    match_extension,
    register_exporter,
    register_importer,
    supported_export_formats,
    supported_import_formats,
)
from marble.errors import InputError
from marble.io import commit_staged, staging_folder

__all__ = [
    "EXPORTERS", "IMPORTERS", "Exporter", "Importer", "check_output_path", "export", "import_file",
    "register_exporter", "register_importer", "supported_export_formats", "supported_import_formats",
]


def check_output_path(path: str | os.PathLike) -> Path:
    """Refuse output paths that are folders or whose folder cannot be created or written."""
    p = Path(path)
    if p.exists() and p.is_dir():
        raise InputError(f"output path {str(p)!r} is a folder: give a file name such as {str(p / 'world.glb')!r}")
    parent = p.parent if str(p.parent) else Path(".")
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"cannot write {str(p)!r}: {str(probe)!r} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {str(p)!r}: folder {str(probe)!r} is not writable; choose another output folder")
    return p


def export(world, path: str | os.PathLike, **options) -> list[Path]:
    """Write ``world`` to ``path`` in the format chosen by its extension.

    Args:
        world: a :class:`~marble.world.World`.
        path: output file; its extension picks the format (see :func:`supported_export_formats`).
        **options: see :class:`exporters.scene.ExportOptions` (``profile``, ``layers``, ``splats``,
            ``meshes``, ``bake_textures``, ``texture_size``, ``sh_degree``, ``axes``, ``collider``, ...).
    Returns:
        The files written, main file first (then e.g. the collider GLB and the manifest).
    Raises:
        InputError: unknown extension or option, no layers, unwritable path.
        BudgetError: a profile's budget cannot be met.
    """
    from exporters.profiles import apply_profile, write_profile_extras
    from exporters.scene import ExportOptions, ExportScene

    p = Path(path)
    check_output_path(p)
    ext = match_extension(p, EXPORTERS, what="export")
    opts = ExportOptions.from_kwargs(options)
    scene = ExportScene.from_world(world, opts)
    profile = apply_profile(scene, opts, extension=ext)
    exporter = EXPORTERS[ext]
    # All or nothing: every file of the export (main file, collider, manifest) is written into a
    # staging folder beside the output and moved into place only when all are complete, so a failure
    # or Ctrl-C leaves the previous files (even the input itself) untouched.
    with staging_folder(p.parent if str(p.parent) else Path("."), kind="export") as staging:
        staged = exporter.write(scene, staging / p.name, opts)
        if profile is not None:
            staged += write_profile_extras(scene, staging / p.name, opts, profile, main_files=list(staged))
        return commit_staged(staged, p.parent if str(p.parent) else Path("."), last=staged[0])


def import_file(path: str | os.PathLike, **options):
    """Read ``path`` into a :class:`~marble.world.World` (see :func:`exporters.importers.import_file`)."""
    from exporters.importers import import_file as _import_file

    return _import_file(path, **options)
