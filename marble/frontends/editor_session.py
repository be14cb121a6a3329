"""One designer's editing session: the world, its history, the selection, previews and exports.

This is everything the Gradio app (``app.py``) does, without Gradio: the app keeps one
:class:`EditorSession` per browser session and calls these methods from its buttons. Methods
take plain values (numbers, strings, paths), raise :class:`~marble.errors.InputError` with a
one-line message on bad input, and leave the world unchanged when they do.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from marble import edit as E
from marble.camera import Camera
from marble.edit import selection as S
from marble.edit.history import DEFAULT_MAX_BYTES, History, Operation
from marble.errors import InputError
from marble.io import sanitize_name
from marble.world import World

SELECT_MODES = ("replace", "add", "subtract", "intersect")
BACKENDS = ("embedded", "learned")


def preset_choices() -> list[str]:
    """Preset names, from the preset table."""
    from marble.presets import PRESETS

    return list(PRESETS)


def profile_choices() -> list[str]:
    """``"none"`` and the VR/engine profiles, from the exporters' profile table."""
    from marble.api import profile_names

    return ["none", *profile_names()]


def export_format_choices() -> list[str]:
    """Formats that hold a world (splats and/or meshes), from the exporters' registry."""
    from exporters.registry import EXPORTERS

    return sorted(e.extension.lstrip(".") for e in EXPORTERS.values() if e.content != "other")


class EditorSession:
    """State of one editor: a world, its undo history and the current selection.

    Args:
        root: folder under which this session's files go (a fresh sub-folder is made).
        preview_size: ``(width, height)`` of preview renders in pixels.
        history_bytes: memory budget of the undo history.
    """

    def __init__(self, *, root: str | Path | None = None, preview_size: tuple[int, int] = (384, 240),
                 history_bytes: int = DEFAULT_MAX_BYTES) -> None:
        base = Path(root) if root is not None else Path(tempfile.gettempdir()) / "marble-editor"
        base.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix="session-", dir=base))
        self.preview_size = (int(preview_size[0]), int(preview_size[1]))
        self.world: World | None = None
        self.history = History(max_bytes=history_bytes)
        self.selection: S.Selection = {}
        self.view_index = 0
        self.version = 0  # bumped on every change; names export folders
        self._viewer_count = 0

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Delete this session's files."""
        shutil.rmtree(self.workdir, ignore_errors=True)

    def require_world(self) -> World:
        """The current world, or ``InputError`` telling the user to generate or open one."""
        if self.world is None:
            raise InputError("no world yet: type a prompt (or upload an image) and press Generate, or open a .marble file")
        return self.world

    def set_world(self, world: World, *, history: History | None = None) -> None:
        """Start editing ``world`` (a fresh history unless one is given)."""
        self.world = world
        self.history = history or History(max_bytes=self.history.max_bytes)
        self.selection = {}
        self.view_index = 0
        self._changed()

    def _changed(self) -> None:
        self.version += 1
        if self.world is not None and self.selection:
            try:
                S.check_selection(self.world, self.selection, allow_empty=True)
            except InputError:
                self.selection = {}  # the masks no longer fit the layers (splats deleted, layers gone)

    # ------------------------------------------------------------------ generate / open / save
    def generate(self, prompt: str | None, *, image: str | Path | None = None, preset: str = "draft", seed: int = 0,
                 backend: str = "embedded", model: str | None = None,
                 progress: Callable[[str, float, str], None] | None = None) -> World:
        """Generate a new world (replacing the current one and its history).

        Raises:
            InputError: no prompt and no image, a bad image, an unknown preset or backend, a bad seed.
        """
        from marble.api import generate as generate_world

        prompt = (prompt or "").strip() or None
        if backend not in BACKENDS:
            raise InputError(f"unknown `backend` {backend!r}: choose one of {', '.join(BACKENDS)}")
        try:
            seed_f = float(seed)
        except (TypeError, ValueError):
            raise InputError(f"`seed` must be an integer, got {seed!r}") from None
        if not math.isfinite(seed_f) or not seed_f.is_integer():
            raise InputError(f"`seed` must be an integer, got {seed!r}")
        seed_i = int(seed_f)
        pil = None
        if image is not None:
            from PIL import Image

            from marble.images import load_image

            arr = load_image(str(image))  # rejects non-images, corrupt files and huge images with a clear message
            pil = Image.fromarray((np.clip(arr, 0, 1) * 255 + 0.5).astype(np.uint8))
        if prompt is None and pil is None:
            raise InputError("type a `prompt` or upload an `image` first")
        models = None
        if backend == "learned":
            from pipelines.diffusion.config import ModelConfig

            models = ModelConfig(model=(model or "").strip() or None)
        world = generate_world(prompt, image=pil, seed=seed_i, preset=preset, models=models, progress=progress)
        self.set_world(world)
        return world

    def open_bundle(self, path: str | Path) -> World:
        """Open a ``.marble`` file, resuming its saved edit history."""
        p = Path(path)
        if p.suffix.lower() != ".marble":
            raise InputError(f"{p.name!r} is not a .marble bundle")
        world = World.load(p)
        self.set_world(world, history=History.load_from(world))
        return world

    def save_bundle(self) -> Path:
        """Write the world and its history to a ``.marble`` file in the session folder."""
        world = self.require_world()
        self.history.save_into(world)
        return world.save(self.workdir / f"{self._stem()}.marble")

    def _stem(self) -> str:
        prompt = self.world.provenance.prompt if self.world is not None else None
        return sanitize_name(prompt or "world", fallback="world", max_length=40)

    # ------------------------------------------------------------------ selection
    def select(self, kind: str, *, mode: str = "replace", layers=None, label: str | None = None,
               center=(0.0, 0.0, 0.0), size=(1.0, 1.0, 1.0), yaw_deg: float = 0.0, radius: float = 1.0,
               color=None, tolerance: float = 0.15, below: float | None = None, above: float | None = None,
               rect=None, polygon=None) -> str:
        """Make a selection and combine it with the current one; returns a summary.

        Args:
            kind: ``layer``, ``label``, ``box``, ``sphere``, ``color``, ``opacity``, ``rect``, ``lasso`` or ``all``.
            mode: ``replace``, ``add``, ``subtract`` or ``intersect``.
            rect, polygon: pixel coordinates in the current preview view (``rect``: x0, y0, x1, y1).
        """
        world = self.require_world()
        if mode not in SELECT_MODES:
            raise InputError(f"selection `mode` must be one of {', '.join(SELECT_MODES)}, got {mode!r}")
        if kind == "layer":
            names = [layers] if isinstance(layers, str) else list(layers or [])
            if not names:
                raise InputError("choose one or more layers to select")
            new = S.select_layers(world, names)
        elif kind == "label":
            if not label:
                raise InputError("choose a label to select")
            new = S.select_label(world, label)
        elif kind == "box":
            new = S.select_oriented_box(world, center, size, yaw_deg=yaw_deg)
        elif kind == "sphere":
            new = S.select_sphere(world, center, radius)
        elif kind == "color":
            new = S.select_color(world, parse_color(color), tolerance=tolerance)
        elif kind == "opacity":
            new = S.select_opacity(world, below=below, above=above)
        elif kind == "rect":
            new = S.select_rect(world, self.camera(), rect)
        elif kind == "lasso":
            new = S.select_lasso(world, self.camera(), polygon)
        elif kind == "all":
            new = S.select_all(world)
        else:
            raise InputError(f"unknown selection kind {kind!r}")
        if mode == "replace" or not self.selection:
            combined = new if mode in ("replace", "add") else {}
        elif mode == "add":
            combined = S.union(self.selection, new)
        elif mode == "subtract":
            combined = S.subtract(self.selection, new)
        else:
            combined = S.intersect(self.selection, new)
        self.selection = combined
        return self.selection_text()

    def invert_selection(self) -> str:
        """Select everything visible that is not selected."""
        self.selection = S.invert(self.require_world(), self.selection)
        return self.selection_text()

    def grow_selection(self, radius: float) -> str:
        """Add splats within ``radius`` metres of the selection."""
        self.selection = S.grow(self.require_world(), self.selection, radius)
        return self.selection_text()

    def clear_selection(self) -> str:
        """Select nothing."""
        self.selection = {}
        return self.selection_text()

    def selection_text(self) -> str:
        """A one-line summary of the selection."""
        if self.world is None:
            return "no world"
        return S.describe(self.world, self.selection)

    def _sel(self) -> S.Selection:
        world = self.require_world()
        S.check_selection(world, self.selection)  # empty -> "the selection is empty: ..."
        return self.selection

    # ------------------------------------------------------------------ edits
    def apply(self, op: Operation) -> str:
        """Apply an operation through the history; returns its description."""
        world = self.require_world()
        self.history.apply(world, op)
        self._changed()
        return op.description

    def delete(self) -> str:
        """Delete the selection (whole layers with their meshes)."""
        return self.apply(E.Delete(self._sel()))

    def keep_only(self) -> str:
        """Delete everything visible except the selection."""
        return self.apply(E.crop(self.require_world(), self._sel()))

    def move(self, dx: float, dy: float, dz: float) -> str:
        """Move the selection by ``(dx, dy, dz)`` metres."""
        return self.apply(E.translate(self.require_world(), self._sel(), (dx, dy, dz)))

    def rotate(self, angle_deg: float, axis: str = "y") -> str:
        """Rotate the selection about ``axis`` through its centre."""
        return self.apply(E.rotate(self.require_world(), self._sel(), angle_deg, axis=axis))

    def scale(self, factor: float) -> str:
        """Scale the selection uniformly about its centre."""
        return self.apply(E.scale(self.require_world(), self._sel(), factor))

    def duplicate(self, dx: float = 0.0, dy: float = 0.0, dz: float = 0.0) -> str:
        """Copy the selection into new layers moved by ``(dx, dy, dz)``."""
        T = torch.eye(4, dtype=torch.float64)
        T[:3, 3] = torch.tensor([float(dx), float(dy), float(dz)], dtype=torch.float64)
        return self.apply(E.Duplicate(self._sel(), T=T))

    def separate(self, name: str) -> str:
        """Move the selected splats into a new layer (a generated name when ``name`` is empty)."""
        world = self.require_world()
        return self.apply(E.Separate(self._sel(), (name or "").strip() or world.unique_name("part")))

    def recolor(self, mode: str, *, color=None, factor: float = 1.0) -> str:
        """Recolour the selection: ``set``/``tint`` take ``color``, ``brightness``/``saturation`` take ``factor``."""
        value = parse_color(color) if mode in ("set", "tint") else factor
        return self.apply(E.Recolor(self._sel(), mode=mode, value=value))

    def set_opacity(self, value: float) -> str:
        """Set the selected splats' opacity (0..1)."""
        return self.apply(E.SetOpacity(self._sel(), value))

    def remove_floaters(self, std_ratio: float = 2.0, neighbors: int = 16) -> str:
        """Delete statistical outliers (per layer, the sky skipped)."""
        return self.apply(E.remove_floaters(self.require_world(), std_ratio=std_ratio, neighbors=int(neighbors)))

    def rename_layer(self, old: str, new: str) -> str:
        """Rename layer ``old`` to ``new``."""
        if not old:
            raise InputError("choose the layer to rename")
        return self.apply(E.RenameLayer(old, new))

    def set_visible(self, names, visible: bool) -> str:
        """Show or hide layers (one undoable step per layer)."""
        names = [names] if isinstance(names, str) else list(names or [])
        if not names:
            raise InputError("choose one or more layers to show or hide")
        ops = [E.SetLayer(n, visible=visible) for n in names]
        for n in names:
            self.require_world().layer(n)
        return "; ".join(self.apply(op) for op in ops)

    def import_asset(self, path: str | Path, *, offset=(0.0, 0.0, 0.0)) -> str:
        """Compose a file (.marble, .ply, .spz, .glb, .obj...) into the world at ``offset``."""
        T = torch.eye(4, dtype=torch.float64)
        T[:3, 3] = torch.as_tensor([float(x) for x in offset], dtype=torch.float64)
        world = self.require_world()
        return self.apply(E.import_asset(world, path, T=T))

    def undo(self) -> str:
        """Undo the latest edit."""
        op = self.history.undo(self.require_world())
        self._changed()
        return f"undid: {op.description}"

    def redo(self) -> str:
        """Redo the latest undone edit."""
        op = self.history.redo(self.require_world())
        self._changed()
        return f"redid: {op.description}"

    # ------------------------------------------------------------------ blockout
    def layout_rows(self) -> list[list]:
        """Blockout objects as rows ``[name, label, x, y, z, width, height, depth, yaw_deg]``."""
        if self.world is None or self.world.layout is None:
            return []
        return [[o.name, o.label, *[round(v, 3) for v in o.position], *[round(v, 3) for v in o.size],
                 round(math.degrees(o.yaw), 1)] for o in self.world.layout.objects]

    def blockout_add(self, label: str, position, size=None, yaw_deg: float = 0.0) -> str:
        """Add a labelled box to the blockout."""
        return self.apply(E.add_object(self.require_world(), label, position, size, yaw_deg=yaw_deg))

    def blockout_move(self, name: str, position, yaw_deg: float | None = None) -> str:
        """Move (and turn) a blockout object."""
        return self.apply(E.move_object(self.require_world(), name, position=position, yaw_deg=yaw_deg))

    def blockout_resize(self, name: str, size) -> str:
        """Resize a blockout object."""
        return self.apply(E.resize_object(self.require_world(), name, size))

    def blockout_relabel(self, name: str, label: str) -> str:
        """Change what a blockout object is."""
        return self.apply(E.relabel_object(self.require_world(), name, label))

    def blockout_delete(self, name: str) -> str:
        """Remove a blockout object (its layer goes on regenerate)."""
        return self.apply(E.delete_object(self.require_world(), name))

    def regenerate(self, *, preset: str | None = None, progress=None) -> str:
        """Rebuild the world from the edited blockout, keeping layers whose objects were not edited."""
        world = self.require_world()
        changed, removed, env = E.changed_objects(world)
        if not changed and not removed and not env:
            raise InputError("the blockout has not changed since the world was generated: edit it first")
        op = E.regenerate(world, preset=preset or world.provenance.preset or "draft", progress=progress)
        return self.apply(op)

    # ------------------------------------------------------------------ views
    def cameras(self) -> list[Camera]:
        """Preview cameras: the world's own, else an orbit around its bounds."""
        from marble.camera import orbit

        world = self.require_world()
        w, h = self.preview_size
        if world.cameras:
            return [c.resized(w, h) for c in world.cameras]
        lo, hi = world.bounds()
        centre = (lo + hi) / 2
        radius = float(max(np.linalg.norm(hi - lo) * 0.6, 1.0))
        return orbit(centre, radius=radius, height=radius * 0.4, n=8, width=w, height_px=h)

    def camera(self) -> Camera:
        """The current preview camera."""
        cams = self.cameras()
        return cams[self.view_index % len(cams)]

    def set_view(self, index: int) -> None:
        """Choose the preview camera by index."""
        n = len(self.cameras())
        i = int(index)
        if not 0 <= i < n:
            raise InputError(f"`view` must be in 0..{n - 1}, got {index}")
        self.view_index = i

    def preview(self, *, highlight: bool = True) -> np.ndarray:
        """``[H, W, 3]`` uint8 render of the visible splats from the current view, selection tinted orange."""
        from marble.render import render_world

        world = self.require_world()
        cam = self.camera()
        if world.num_splats == 0 or not any(x.visible and x.num_splats for x in world.layers):
            from marble.render.world_render import sky_images

            return (sky_images(world, [cam])[0].clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)
        mask = self.highlight_mask() if highlight else None
        out = render_world(world, [cam], highlight=mask if mask is not None and bool(mask.any()) else None)
        return out.images_uint8()[0]

    def highlight_mask(self) -> torch.Tensor | None:
        """``[N]`` bool over the rendered splats (visible layers with splats, in order), or ``None``."""
        world = self.require_world()
        if not self.selection:
            return None
        parts = []
        for layer in world.layers:
            if not layer.visible or layer.gaussians is None or not layer.num_splats:
                continue
            m = self.selection.get(layer.name)
            parts.append(m if m is not None and m.numel() else torch.zeros(layer.num_splats, dtype=torch.bool))
        return torch.cat(parts) if parts else None

    def layer_rows(self) -> list[list]:
        """``[name, label, visible, splats, triangles, selected]`` per layer."""
        if self.world is None:
            return []
        rows = []
        for layer in self.world.layers:
            m = self.selection.get(layer.name)
            sel = "" if m is None else ("whole" if S.is_whole(self.world, self.selection, layer.name) else int(m.sum()))
            rows.append([layer.name, layer.label, "yes" if layer.visible else "no", layer.num_splats,
                         layer.num_triangles, sel])
        return rows

    def stats(self) -> dict:
        """Counts and size of the world (zeros when there is none)."""
        if self.world is None:
            return {"layers": 0, "splats": 0, "triangles": 0, "size_m": [0, 0, 0]}
        return self.world.stats()

    def stats_text(self) -> str:
        """The stats as one line."""
        s = self.stats()
        size = " x ".join(f"{v:g}" for v in s["size_m"])
        return f"{s['layers']} layers, {s['splats']:,} splats, {s['triangles']:,} triangles, {size} m"

    def history_text(self) -> str:
        """The undo/redo state as one line."""
        items = self.history.descriptions()
        text = f"{len(items)} undoable" + (f", {len(self.history.redo_stack)} redoable" if self.history.can_redo else "")
        return text + ("" if not items else ": " + " | ".join(items[-6:]))

    # ------------------------------------------------------------------ files
    def viewer_files(self) -> tuple[Path | None, Path | None]:
        """``(meshes.glb, splats.ply)`` of the visible layers for the 3D viewers (``None`` when empty)."""
        world = self.require_world()
        self._viewer_count += 1  # fresh names: a viewer given the same path again would not reload
        folder = self.workdir / "viewer"
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        glb = ply = None
        if any(x.visible and x.mesh is not None for x in world.layers):
            glb = Path(world.export(folder / f"meshes_{self._viewer_count}.glb", splats=False)[0])
        if any(x.visible and x.num_splats for x in world.layers):
            ply = Path(world.export(folder / f"splats_{self._viewer_count}.ply")[0])
        return glb, ply

    def export(self, formats, *, profile: str | None = None) -> list[Path]:
        """Write the world in each format (and its ``.marble`` bundle) to a fresh folder; returns the files.

        Raises:
            InputError: no format chosen, an unknown format or profile, or a profile budget that cannot be met.
        """
        from marble.frontends.outputs import check_formats

        world = self.require_world()
        fmts = check_formats(list(formats or []))
        if not fmts:
            raise InputError("choose at least one export format")
        prof = None if profile in (None, "", "none") else profile
        if prof is not None and prof not in profile_choices():
            raise InputError(f"unknown `profile` {profile!r}: choose one of {', '.join(profile_choices())}")
        folder = self.workdir / f"export_v{self.version}"
        if folder.exists():
            shutil.rmtree(folder)
        stem = self._stem()
        files: list[Path] = []
        try:
            for fmt in fmts:
                files += [Path(p) for p in world.export(folder / f"{stem}.{fmt}", profile=prof)]
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return files


def parse_color(value) -> tuple[float, float, float]:
    """``"#ff8800"``, ``"rgb(255, 136, 0)"``, ``"rgba(...)"`` or 3 numbers in [0, 1] -> RGB in [0, 1].

    Raises:
        InputError: anything else.
    """
    if value is None or value == "":
        raise InputError("choose a colour")
    if isinstance(value, str):
        v = value.strip().lower()
        try:
            if v.startswith("#") and len(v) in (4, 7, 9):
                h = v[1:]
                if len(h) == 3:
                    h = "".join(c * 2 for c in h)
                return tuple(int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]
            if v.startswith("rgb"):
                nums = [float(x) for x in v[v.index("(") + 1:v.index(")")].split(",")[:3]]
                return tuple(min(max(x / 255.0, 0.0), 1.0) for x in nums)  # type: ignore[return-value]
        except ValueError:
            pass
        raise InputError(f"cannot read colour {value!r}: use #rrggbb or rgb(r, g, b)")
    vals = [float(x) for x in value]
    if len(vals) != 3 or not all(0.0 <= x <= 1.0 for x in vals):
        raise InputError(f"colour must be 3 values in [0, 1], got {value}")
    return (vals[0], vals[1], vals[2])


# ---------------------------------------------------------------------- points drawn on the preview
MAX_POINTS = 200


def parse_points(text: str | None) -> np.ndarray:
    """``"10, 20; 30, 40"`` (pixels in the preview) -> ``[P, 2]`` float64; ``""`` -> ``[0, 2]``.

    Raises:
        InputError: text that is not pairs of finite numbers separated by ``;``.
    """
    if text is None or not text.strip():
        return np.zeros((0, 2), np.float64)
    pts = []
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        try:
            xy = [float(v) for v in part.replace(" ", ",").split(",") if v.strip()]
        except ValueError:
            xy = []
        if len(xy) != 2 or not all(math.isfinite(v) for v in xy):
            raise InputError(f"cannot read point {part.strip()!r}: write points as x, y; x, y; ... (pixels)")
        pts.append(xy)
    if len(pts) > MAX_POINTS:
        raise InputError(f"{len(pts)} points, more than {MAX_POINTS}: draw a simpler outline")
    return np.asarray(pts, np.float64)


def add_point(text: str | None, xy) -> str:
    """Append pixel ``xy`` (a click on the preview) to a points text (see :func:`parse_points`)."""
    pts = parse_points(text)
    x, y = (int(round(float(v))) for v in xy)
    return "; ".join(f"{int(a)}, {int(b)}" for a, b in [*pts.tolist(), [x, y]][-MAX_POINTS:])


def points_for(kind: str, text: str | None):
    """The ``rect`` (x0, y0, x1, y1: the points' bounding box, >= 2 points) or lasso ``polygon``
    (``[P >= 3, 2]``) that selection ``kind`` takes from the clicked points; ``None`` for other kinds.

    Raises:
        InputError: too few points for the kind.
    """
    if kind not in ("rect", "lasso"):
        return None
    pts = parse_points(text)
    need = 2 if kind == "rect" else 3
    if len(pts) < need:
        raise InputError(f"click {need - len(pts)} more point(s) on the preview for a {kind} selection "
                         f"(or type them as x, y; x, y)")
    if kind == "rect":
        return [float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())]
    return pts


def draw_points(image, text: str | None, kind: str = "lasso"):
    """The preview ``image`` (``[H, W, 3]`` uint8) with the clicked points and their outline drawn on it.

    ``rect`` draws the points' bounding box, other kinds the closed polygon. Unreadable points draw
    nothing (the selection reports them).
    """
    from PIL import Image, ImageDraw

    if image is None:
        return None
    img = Image.fromarray(np.asarray(image, np.uint8)).convert("RGB")
    try:
        pts = [tuple(p) for p in parse_points(text).tolist()]
    except InputError:
        return np.asarray(img)
    draw = ImageDraw.Draw(img)
    colour = (0, 220, 255)
    if kind == "rect" and len(pts) >= 2:
        draw.rectangle(points_for("rect", text), outline=colour, width=2)
    elif len(pts) >= 2:
        draw.line(pts + ([pts[0]] if len(pts) >= 3 else []), fill=colour, width=2)
    for x, y in pts:
        draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
    return np.asarray(img)
