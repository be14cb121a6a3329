"""Files an editing session writes: its ``.marble`` bundle and exports with names that say what they hold."""

from __future__ import annotations

import shutil
from pathlib import Path

from marble.errors import InputError
from marble.io import sanitize_name

FORMAT_NOTES = {
    "glb": "meshes + splats (KHR_gaussian_splatting) for engines, three.js and Blender",
    "gltf": "meshes + splats, JSON glTF",
    "ply": "splats, standard 3DGS PLY (SuperSplat, most viewers)",
    "compressed.ply": "splats, PlayCanvas compressed PLY (about 4x smaller)",
    "splat": "splats, .splat (antimatter15 web viewers)",
    "spz": "splats, Niantic SPZ (about 10x smaller; Spark, Scaniverse)",
    "usdz": "meshes + splats, USDZ (Apple: AR Quick Look, Vision Pro)",
    "usd": "meshes + splats, USD (Omniverse, Houdini)",
    "marble": "the editable world with its edit history (open it here to resume)",
}


def profile_note(profile: str | None) -> str:
    """One line saying what a VR/target profile does to an export."""
    if profile in (None, "", "none"):
        return "no profile: everything exported as it is"
    from exporters.budgets import get_profile

    p = get_profile(profile)
    parts = [f"at most {p.max_splats:,} splats" if p.max_splats else "splats uncapped",
             f"{p.max_triangles:,} triangles" if p.max_triangles else "triangles uncapped"]
    if p.max_texture_size:
        parts.append(f"textures <= {p.max_texture_size} px")
    if p.collider_max_triangles:
        parts.append(f"plus a collider of <= {p.collider_max_triangles:,} triangles")
    return f"{profile} profile: " + ", ".join(parts) + f"; reads {p.preferred_extension} best"


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def describe_files(files: list[Path], profile: str | None = None) -> str:
    """A Markdown list: each file's name, size and what it holds, then the profile's note."""
    lines = []
    for f in files:
        name = f.name
        ext = "compressed.ply" if name.endswith(".compressed.ply") else name.rsplit(".", 1)[-1].lower()
        note = FORMAT_NOTES.get(ext, "collider mesh" if "collider" in name else ext)
        if "collider" in name:
            note = "collision mesh for physics (simplified)"
        lines.append(f"- **{name}** ({_size(f.stat().st_size)}): {note}")
    return "\n".join(lines + ([f"\n_{profile_note(profile)}_"] if files else []))


class SessionFiles:
    """Bundle and export files of an :class:`~marble.frontends.editor.session.EditorSession` (mixed into it)."""

    def _stem(self) -> str:
        prompt = self.world.provenance.prompt if self.world is not None else None
        return sanitize_name(prompt or "world", fallback="world", max_length=40)

    def save_bundle(self) -> Path:
        """Write the world and its history to a ``.marble`` file in the session folder (then nothing is unsaved)."""
        world = self.require_world()
        with self.lock:
            self.history.save_into(world)
            path = world.save(self.workdir / f"{self._stem()}.marble")
            self.unsaved = 0
        return path

    def export(self, formats, *, profile: str | None = None) -> list[Path]:
        """Write the world in each format to a fresh folder; returns the files.

        Names say what they are: ``<prompt>.<ext>``, with ``_<profile>`` when a profile shaped them.

        Raises:
            InputError: no format chosen, an unknown format or profile, or a profile budget that cannot be met.
        """
        from marble.frontends.editor.folders import private_dir
        from marble.frontends.outputs import check_formats

        world = self.require_world()
        fmts = check_formats(list(formats or []))
        if not fmts:
            raise InputError("choose at least one export format")
        prof = None if profile in (None, "", "none") else profile
        from marble.api import profile_names

        if prof is not None and prof not in profile_names():
            raise InputError(f"unknown `profile` {profile!r}: choose one of none, {', '.join(profile_names())}")
        folder = self.workdir / f"export_v{self.version}"
        if folder.exists():
            shutil.rmtree(folder)
        private_dir(folder)
        stem = self._stem() + (f"_{prof}" if prof else "")
        files: list[Path] = []
        try:
            for fmt in fmts:
                files += [Path(p) for p in world.export(folder / f"{stem}.{fmt}", profile=prof)]
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return files
