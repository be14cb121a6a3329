"""What the editor shows about its world: the still preview, the layer list, stats, history, blockout rows."""

from __future__ import annotations

import math

import numpy as np
import torch

from marble.camera import Camera
from marble.edit import selection as S


class SessionViews:
    """Read-only views of an :class:`~marble.frontends.editor.session.EditorSession` (mixed into it)."""

    # ------------------------------------------------------------------ cameras and the still preview
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
        from marble.errors import InputError

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

    # ------------------------------------------------------------------ lists and summaries
    def selection_text(self) -> str:
        """A one-line summary of the selection."""
        if self.world is None:
            return "no world"
        return S.describe(self.world, self.selection)

    def layer_rows(self) -> list[list]:
        """``[name, label, visible, splats, triangles, selected]`` per layer."""
        if self.world is None:
            return []
        rows = []
        for layer in self.world.layers:
            m = self.selection.get(layer.name)
            sel = "" if m is None else ("whole" if S.is_whole(self.world, self.selection, layer.name) else f"{int(m.sum()):,}")
            rows.append([layer.name, layer.label, "yes" if layer.visible else "no", f"{layer.num_splats:,}",
                         f"{layer.num_triangles:,}", sel])
        return rows

    def stats(self) -> dict:
        """Counts and size of the world (zeros when there is none)."""
        if self.world is None:
            return {"layers": 0, "splats": 0, "triangles": 0, "size_m": [0, 0, 0]}
        return self.world.stats()

    def stats_text(self) -> str:
        """The stats as one line."""
        s = self.stats()
        size = " x ".join(f"{v:.1f}" for v in s["size_m"])
        return f"{s['layers']} layers, {s['splats']:,} splats, {s['triangles']:,} triangles, {size} m"

    def history_text(self) -> str:
        """The undo/redo state as one line (the latest edits last)."""
        items = self.history.descriptions()
        text = f"{len(items)} undoable" + (f", {len(self.history.redo_stack)} redoable" if self.history.can_redo else "")
        if self.unsaved and self.world is not None:
            text += f" ({self.unsaved} unsaved)"
        return text + ("" if not items else ": " + " | ".join(items[-6:]))

    def layout_rows(self) -> list[list]:
        """Blockout objects as rows ``[name, label, x, y, z, width, height, depth, yaw_deg]``."""
        if self.world is None or self.world.layout is None:
            return []
        return [[o.name, o.label, *[round(v, 2) for v in o.position], *[round(v, 2) for v in o.size],
                 round(math.degrees(o.yaw), 1)] for o in self.world.layout.objects]

    def picked_object(self) -> str | None:
        """The blockout object whose layer is the one layer selected whole, else ``None``."""
        if self.world is None or self.world.layout is None or len(self.selection) != 1:
            return None
        (name,) = self.selection
        names = {o.name for o in self.world.layout.objects}
        return name if name in names and S.is_whole(self.world, self.selection, name) else None

    def object_values(self, name: str | None) -> dict | None:
        """``{name, label, position [3], size [3], yaw_deg}`` of a blockout object, rounded, for the form."""
        if not name or self.world is None or self.world.layout is None:
            return None
        for o in self.world.layout.objects:
            if o.name == name:
                return {"name": o.name, "label": o.label, "position": [round(v, 3) for v in o.position],
                        "size": [round(v, 3) for v in o.size], "yaw_deg": round(math.degrees(o.yaw), 1)}
        return None
