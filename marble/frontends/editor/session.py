"""One designer's editing session: the world, its history, the selection, and every edit.

This is everything the Gradio app (``app.py``) does, without Gradio: the app keeps one
:class:`EditorSession` per browser tab and calls these methods from its buttons and from the
3D viewport's commands (:mod:`marble.frontends.editor.viewport`). Methods take plain values
(numbers, strings, paths), raise :class:`~marble.errors.InputError` with a one-line message on
bad input, and leave the world unchanged when they do.

Edits of layers and of the blockout share ONE history: deleting an object's layer deletes its
box, moving a box moves its layer (see :mod:`marble.edit.objects`).
"""

from __future__ import annotations

import math
import secrets
import shutil
import threading
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from marble import edit as E
from marble.edit import selection as S
from marble.edit.history import DEFAULT_MAX_BYTES, History, Operation
from marble.errors import InputError
from marble.frontends.editor.files import SessionFiles
from marble.frontends.editor.folders import editor_root, new_session_dir
from marble.frontends.editor.inputs import parse_color
from marble.frontends.editor.views import SessionViews
from marble.frontends.editor.viewport import SessionViewport
from marble.world import World

SELECT_MODES = ("replace", "add", "subtract", "intersect")
BACKENDS = ("embedded", "learned")


class Cancelled(InputError):
    """The user pressed Cancel while a world was being generated."""


class EditorSession(SessionViews, SessionFiles, SessionViewport):
    """State of one editor: a world, its undo history and the current selection.

    Args:
        root: folder under which this session's files go (a fresh private sub-folder is made when the first
            file is written); default :func:`~marble.frontends.editor.folders.editor_root`.
        preview_size: ``(width, height)`` of preview renders in pixels.
        history_bytes: memory budget of the undo history.
    """

    def __init__(self, *, root: str | Path | None = None, preview_size: tuple[int, int] = (384, 240),
                 history_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root) if root is not None else editor_root()
        self._workdir: Path | None = None  # made on the first file written (a tab that writes nothing leaves nothing)
        self.token = secrets.token_urlsafe(18)  # names this session in the viewport's data URLs
        self.preview_size = (int(preview_size[0]), int(preview_size[1]))
        self.world: World | None = None
        self.history = History(max_bytes=history_bytes)
        self.selection: S.Selection = {}
        self.view_index = 0
        self.version = 0  # bumped on every change; the viewport reloads when it moves
        self.unsaved = 0  # edits since the world was generated, opened or saved
        self.cancel_event = threading.Event()
        self.lock = threading.RLock()  # one change at a time (viewport commands and buttons may overlap)
        self._confirm_regenerate: int | None = None
        self.autosaver = None  # set by the app: marble.frontends.editor.autosave.Autosaver
        self._init_viewport()

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Delete this session's files (an autosave, kept elsewhere, stays for a restore)."""
        self._close_viewport()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    @property
    def workdir(self) -> Path:
        """This session's private folder (0700) under :attr:`root`, made on first use."""
        if self._workdir is None or not self._workdir.is_dir():
            self._workdir = new_session_dir(self.root)
        return self._workdir

    def require_world(self) -> World:
        """The current world, or ``InputError`` telling the user to generate or open one."""
        if self.world is None:
            raise InputError("no world yet: type a prompt (or upload an image) and press Generate, or open a .marble file")
        return self.world

    def set_world(self, world: World, *, history: History | None = None) -> None:
        """Start editing ``world`` (a fresh history unless one is given)."""
        with self.lock:
            self.world = world
            self.history = history or History(max_bytes=self.history.max_bytes)
            self.selection = {}
            self.view_index = 0
            self.unsaved = 0
            self._changed(edited=False)

    def _changed(self, *, edited: bool = True) -> None:
        self.version += 1
        self._confirm_regenerate = None
        if edited:
            self.unsaved += 1
        if self.world is not None and self.selection:
            try:
                S.check_selection(self.world, self.selection, allow_empty=True)
            except InputError:
                self.selection = {}  # the masks no longer fit the layers (splats deleted, layers gone)
        if edited and self.autosaver is not None and self.world is not None:
            self.autosaver.schedule(self)

    # ------------------------------------------------------------------ generate / open / save
    def _progress(self, progress):
        """Wrap ``progress`` so that a pressed Cancel stops the work at its next report."""
        self.cancel_event.clear()

        def report(stage: str, fraction: float, message: str = "") -> None:
            if self.cancel_event.is_set():
                raise Cancelled("cancelled: the current world is unchanged")
            if progress is not None:
                progress(stage, fraction, message)

        return report

    def cancel(self) -> str:
        """Ask a running Generate or Regenerate to stop at its next progress report."""
        self.cancel_event.set()
        return "cancelling..."

    def generate(self, prompt: str | None, *, image: str | Path | None = None, preset: str = "draft", seed: int = 0,
                 backend: str = "embedded", model: str | None = None, photos: list[str] | None = None,
                 video: str | Path | None = None, panorama: str | Path | None = None,
                 camera_height: float | None = None,
                 progress: Callable[[str, float, str], None] | None = None) -> World:
        """Generate a new world (replacing the current one and its history).

        ``photos`` (several overlapping photos), ``video`` or ``panorama`` (2:1, 360 degrees) make a
        world from a capture (:mod:`marble.frontends.capture_inputs`); only one input at a time.

        Raises:
            InputError: no prompt and no image, a bad image, two inputs at once, bad capture files, an
                unknown preset or backend, a bad seed.
            Cancelled: :meth:`cancel` was called while it ran (the current world is kept).
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
        photos = [str(p) for p in photos] if photos else None
        if photos or video or panorama:
            from marble.frontends.capture_inputs import check_capture_inputs

            check_capture_inputs(images=photos, video=video, panorama=panorama, image=image,
                                 camera_height=camera_height)
            world = generate_world(prompt, images=photos, video=video, panorama=panorama, camera_height=camera_height,
                                   seed=int(seed_f), preset=preset, progress=self._progress(progress))
            self.set_world(world)
            return world
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
        world = generate_world(prompt, image=pil, seed=int(seed_f), preset=preset, models=models,
                               progress=self._progress(progress))
        self.set_world(world)
        return world

    def open_bundle(self, path: str | Path) -> World:
        """Open a ``.marble`` file, resuming its saved edit history (the current world is kept on any error)."""
        from marble.edit.history import History as _History

        p = Path(path)
        if p.suffix.lower() != ".marble":
            raise InputError(f"{p.name!r} is not a .marble bundle: open a world saved by Marble (Save session)")
        world = World.load(p)
        self.set_world(world, history=_History.load_from(world))
        return world

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
        return self.combine(new, mode)

    def combine(self, new: S.Selection, mode: str = "replace") -> str:
        """Combine ``new`` with the current selection (``replace``/``add``/``subtract``/``intersect``)."""
        if mode not in SELECT_MODES:
            raise InputError(f"selection `mode` must be one of {', '.join(SELECT_MODES)}, got {mode!r}")
        with self.lock:
            if mode == "replace" or not self.selection:
                combined = new if mode in ("replace", "add") else {}
            elif mode == "add":
                combined = S.union(self.selection, new)
            elif mode == "subtract":
                combined = S.subtract(self.selection, new)
            else:
                combined = S.intersect(self.selection, new)
            self.selection = combined
            self.version += 1
        return self.selection_text()

    def select_layer(self, name: str, *, mode: str = "replace") -> str:
        """Select one layer whole (a click in the viewport or the layer list); ``mode="toggle"`` flips it."""
        world = self.require_world()
        world.layer(name)
        if mode == "toggle":
            mode = "subtract" if S.is_whole(world, self.selection, name) else "add"
        return self.combine(S.select_layers(world, name), mode)

    def invert_selection(self) -> str:
        """Select everything visible that is not selected."""
        return self.combine(S.invert(self.require_world(), self.selection))

    def grow_selection(self, radius: float) -> str:
        """Add splats within ``radius`` metres of the selection."""
        return self.combine(S.grow(self.require_world(), self.selection, radius))

    def clear_selection(self) -> str:
        """Select nothing."""
        return self.combine({})

    def _sel(self) -> S.Selection:
        world = self.require_world()
        S.check_selection(world, self.selection)  # empty -> "the selection is empty: ..."
        return self.selection

    # ------------------------------------------------------------------ edits
    def apply(self, op: Operation) -> str:
        """Apply an operation through the history; returns its description."""
        with self.lock:
            world = self.require_world()
            self.history.apply(world, op)
            self._changed()
        return op.description

    def delete(self) -> str:
        """Delete the selection (whole layers with their meshes and their blockout boxes)."""
        return self.apply(E.delete_with_objects(self.require_world(), self._sel()))

    def keep_only(self) -> str:
        """Delete everything visible except the selection."""
        return self.apply(E.crop(self.require_world(), self._sel()))

    def transform(self, T, *, label: str = "transform") -> str:
        """Apply the world-space similarity ``T`` (``[4, 4]``) to the selection (the viewport's gizmo)."""
        return self.apply(E.transform_with_objects(self.require_world(), self._sel(), T, label=label))

    def move(self, dx: float, dy: float, dz: float) -> str:
        """Move the selection by ``(dx, dy, dz)`` metres."""
        op = E.translate(self.require_world(), self._sel(), (dx, dy, dz))
        return self.transform(op.T, label=op.label)

    def rotate(self, angle_deg: float, axis: str = "y") -> str:
        """Rotate the selection about ``axis`` through its centre."""
        op = E.rotate(self.require_world(), self._sel(), angle_deg, axis=axis)
        return self.transform(op.T, label=op.label)

    def scale(self, factor: float) -> str:
        """Scale the selection uniformly about its centre."""
        op = E.scale(self.require_world(), self._sel(), factor)
        return self.transform(op.T, label=op.label)

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
        """Show or hide layers (one undoable step)."""
        names = [names] if isinstance(names, str) else list(names or [])
        if not names:
            raise InputError("choose one or more layers to show or hide")
        for n in names:
            self.require_world().layer(n)
        return self.apply(E.Steps([E.SetLayer(n, visible=visible) for n in names],
                                  label=f"{'show' if visible else 'hide'} {', '.join(names[:3])}"))

    def import_asset(self, path: str | Path, *, offset=(0.0, 0.0, 0.0)) -> str:
        """Compose a file (.marble, .ply, .spz, .glb, .obj...) into the world at ``offset``."""
        T = torch.eye(4, dtype=torch.float64)
        T[:3, 3] = torch.as_tensor([float(x) for x in offset], dtype=torch.float64)
        return self.apply(E.import_asset(self.require_world(), path, T=T))

    def undo(self) -> str:
        """Undo the latest edit."""
        with self.lock:
            op = self.history.undo(self.require_world())
            self._changed()
        return f"undid: {op.description}"

    def redo(self) -> str:
        """Redo the latest undone edit."""
        with self.lock:
            op = self.history.redo(self.require_world())
            self._changed()
        return f"redid: {op.description}"

    # ------------------------------------------------------------------ blockout
    def blockout_add(self, label: str, position, size=None, yaw_deg: float = 0.0) -> str:
        """Add a labelled box to the blockout (built on the next Regenerate)."""
        return self.apply(E.add_object(self.require_world(), label, position, size, yaw_deg=yaw_deg))

    def blockout_move(self, name: str, position=None, yaw_deg: float | None = None) -> str:
        """Move and/or turn a blockout object (``None`` keeps a value); its layer moves with it at once."""
        return self.apply(E.move_object(self.require_world(), name, position=position, yaw_deg=yaw_deg))

    def blockout_resize(self, name: str, size) -> str:
        """Resize a blockout object (rebuilt on the next Regenerate)."""
        return self.apply(E.resize_object(self.require_world(), name, size)) + ": press Regenerate to rebuild it"

    def blockout_relabel(self, name: str, label: str) -> str:
        """Change what a blockout object is (rebuilt on the next Regenerate)."""
        return self.apply(E.relabel_object(self.require_world(), name, label)) + ": press Regenerate to rebuild it"

    def blockout_delete(self, name: str) -> str:
        """Remove a blockout object together with its layer."""
        return self.apply(E.remove_object(self.require_world(), name))

    def blockout_set(self, name: str, *, position=None, yaw_deg: float | None = None, size=None) -> str:
        """Set a box's pose and/or size (the viewport's gizmo on a blockout box), as one undoable step."""
        world = self.require_world()
        obj = world.layout.object(name) if world.layout is not None and name in {o.name for o in world.layout.objects} \
            else None
        if obj is None:
            raise InputError(f"no blockout object named {name!r}")
        ops = []
        if position is not None or yaw_deg is not None:
            ops.append(E.move_object(world, name, position=position, yaw_deg=yaw_deg))
        resized = size is not None and any(abs(float(a) - float(b)) > 1e-6 for a, b in zip(size, obj.size))
        if resized:
            if ops:  # the resize is planned on the moved layout
                with self.lock:
                    ops[0].apply(world)
                    try:
                        ops.append(E.resize_object(world, name, size))
                    finally:
                        ops[0].undo(world)
            else:
                ops.append(E.resize_object(world, name, size))
        if not ops:
            raise InputError("the box did not change")
        msg = self.apply(E.Steps(ops, label=f"edit box {name}") if len(ops) > 1 else ops[0])
        return msg + (": press Regenerate to rebuild it at its new size" if resized else "")

    def regenerate(self, *, preset: str | None = None, progress=None) -> str:
        """Rebuild the objects whose boxes were resized, relabelled or added, keeping everything else.

        Whole-layer colour edits of a rebuilt object are replayed on its new layer. When edits made
        to only some of its splats would be lost, the first call only says so; calling again
        (with nothing changed in between) goes ahead.
        """
        world = self.require_world()
        changed, removed, env = E.changed_objects(world)
        if not changed and not removed and not env:
            raise InputError("the blockout has not changed since the world was generated: edit it first "
                             "(moving a box needs no regeneration; resizing, relabelling or adding one does)")
        report = E.regeneration_report(world)
        if report["lost"] and self._confirm_regenerate != self.version:
            self._confirm_regenerate = self.version
            lost = ", ".join(f"{n} ({k} edit{'s' if k != 1 else ''})" for n, k in report["lost"].items())
            return (f"Regenerating would drop edits made to some splats of {lost}. "
                    "Press Regenerate again to go ahead, or undo the blockout change.")
        op = E.regenerate(world, preset=preset or world.provenance.preset or "draft", progress=self._progress(progress))
        msg = self.apply(op)
        if report["replayed"]:
            msg += "; colour edits kept on " + ", ".join(report["replayed"])
        return msg
