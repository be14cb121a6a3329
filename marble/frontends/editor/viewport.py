"""The browser viewport's side of a session: the data it draws and the commands it sends.

The viewport (``web/viewport.js``) reads :meth:`SessionViewport.manifest` and the layer buffers
over HTTP (``/marble/session/<token>/...``, see :mod:`marble.frontends.editor.server`), and sends
what the user does (a click, a drawn rectangle, a gizmo drag, a key) as a JSON command that the
app hands to :meth:`SessionViewport.run_command`. Picking and selecting happen here, in Python,
from the camera the viewport reports, so the browser holds no editing logic.
"""

from __future__ import annotations

import json
import math
import weakref

import numpy as np
import torch

from marble.camera import Camera
from marble.edit import selection as S
from marble.edit.screen import brush_mask, pick_layer, polygon_mask, rect_mask, select_screen
from marble.errors import InputError
from marble.frontends.editor.scene import blockout_entries, fog_entry, frame, layer_entry, mesh_bytes, splat_bytes

_SESSIONS: "weakref.WeakValueDictionary[str, SessionViewport]" = weakref.WeakValueDictionary()
MAX_VIEW_PIXELS = 4096
COMMANDS = ("pick", "pick_box", "select_layer", "toggle_visible", "select_shape", "transform", "box", "delete",
            "undo", "redo", "select_all", "invert", "clear", "hide", "show_all")


def session_for(token: str):
    """The live session a viewport token names, or ``None``."""
    return _SESSIONS.get(str(token))


def camera_from_view(doc: dict) -> Camera:
    """The OpenCV :class:`~marble.camera.Camera` of a three.js view ``{position, quaternion (xyzw), fov, width, height}``.

    Raises:
        InputError: missing or non-finite values, or a size outside 16..4096 pixels.
    """
    try:
        w, h = int(doc["width"]), int(doc["height"])
        fov = float(doc["fov"])
        pos = [float(v) for v in doc["position"]]
        qx, qy, qz, qw = (float(v) for v in doc["quaternion"])
    except (KeyError, TypeError, ValueError):
        raise InputError("the viewport sent an unreadable camera: reload the page") from None
    vals = [fov, *pos, qx, qy, qz, qw]
    if len(pos) != 3 or not all(math.isfinite(v) for v in vals) or not 1 <= fov <= 179:
        raise InputError("the viewport sent an unreadable camera: reload the page")
    if not (16 <= w <= MAX_VIEW_PIXELS and 16 <= h <= MAX_VIEW_PIXELS):
        raise InputError(f"the viewport is {w}x{h} pixels: make it between 16 and {MAX_VIEW_PIXELS} pixels wide")
    n = math.sqrt(qx * qx + qy * qy + qz * qz + qw * qw) or 1.0
    x, y, z, s = qx / n, qy / n, qz / n, qw / n
    R = torch.tensor([[1 - 2 * (y * y + z * z), 2 * (x * y - z * s), 2 * (x * z + y * s)],
                      [2 * (x * y + z * s), 1 - 2 * (x * x + z * z), 2 * (y * z - x * s)],
                      [2 * (x * z - y * s), 2 * (y * z + x * s), 1 - 2 * (x * x + y * y)]], dtype=torch.float64)
    T = torch.eye(4, dtype=torch.float64)
    T[:3, :3] = R @ torch.diag(torch.tensor([1.0, -1.0, -1.0], dtype=torch.float64))  # OpenGL -> OpenCV axes
    T[:3, 3] = torch.tensor(pos, dtype=torch.float64)
    f = (h / 2) / math.tan(math.radians(fov) / 2)
    return Camera(fx=f, fy=f, cx=w / 2, cy=h / 2, width=w, height=h, T_world_camera=T, name="viewport")


def _points(value, name: str) -> np.ndarray:
    try:
        pts = np.asarray(value, dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        raise InputError(f"`{name}` must be a list of pixel points [x, y]") from None
    if not np.isfinite(pts).all():
        raise InputError(f"`{name}` must be finite pixel points [x, y]")
    return pts


class SessionViewport:
    """Viewport data and commands of an :class:`~marble.frontends.editor.session.EditorSession` (mixed into it)."""

    def _init_viewport(self) -> None:
        self._buffer_keys: dict[str, tuple[object, object, str]] = {}
        self._key_counter = 0
        _SESSIONS[self.token] = self

    def _close_viewport(self) -> None:
        _SESSIONS.pop(self.token, None)
        self._buffer_keys.clear()

    # ------------------------------------------------------------------ what the viewport draws
    def _key(self, layer) -> str:
        """A key that changes whenever the layer's splats or mesh are replaced (not when it moves)."""
        old = self._buffer_keys.get(layer.name)
        if old is not None and old[0] is layer.gaussians and old[1] is layer.mesh:
            return old[2]
        self._key_counter += 1
        key = f"{self._key_counter}"
        self._buffer_keys[layer.name] = (layer.gaussians, layer.mesh, key)  # references keep the ids unique
        return key

    def manifest(self) -> dict:
        """The world as the viewport draws it: layers (keys, transforms, bounds), boxes, framing, selection."""
        with self.lock:
            if self.world is None:
                return {"version": self.version, "world": False}
            world = self.world
            objects = {o.name for o in world.layout.objects} if world.layout is not None else set()
            layers = [layer_entry(x, self._key(x), objects) for x in world.layers]
            for name in [n for n in self._buffer_keys if n not in world]:
                del self._buffer_keys[name]
            sel, partial, offset = {}, [], 0
            for name, mask in self.selection.items():
                whole = S.is_whole(world, self.selection, name)
                sel[name] = "whole" if whole else int(mask.sum())
                if not whole and mask.numel():
                    partial.append({"name": name, "offset": offset, "count": int(mask.numel())})
                    offset += (int(mask.numel()) + 7) // 8
            center = None
            if self.selection and not S.is_empty(self.selection):
                from marble.edit.transform import selection_center

                center = [round(float(v), 4) for v in selection_center(world, self.selection)]
            env = world.layout.environment if world.layout is not None else None
            sky = env.lighting.sky_horizon if env is not None else (0.55, 0.6, 0.68)
            return {
                "version": self.version, "world": True, "token": self.token,
                "layers": layers, "blockout": blockout_entries(world), "frame": frame(world),
                "selection": {"layers": sel, "partial": partial, "center": center},
                "picked_object": self.picked_object(), "background": [round(float(c), 3) for c in sky],
                "fog": fog_entry(world),
                "unsaved": self.unsaved, "undo": len(self.history.undo_stack), "redo": len(self.history.redo_stack),
            }

    def layer_buffer(self, name: str, kind: str) -> bytes:
        """``kind="splats"``: the layer's splats (see :func:`~marble.frontends.editor.scene.splat_bytes`);
        ``"mesh"``: its mesh (:func:`~marble.frontends.editor.scene.mesh_bytes`)."""
        with self.lock:
            layer = self.require_world().layer(name)
            return splat_bytes(layer) if kind == "splats" else mesh_bytes(layer)

    def selection_bytes(self) -> bytes:
        """Bit masks (``np.packbits``, little bit order) of the partially selected layers, in manifest order."""
        with self.lock:
            world = self.require_world()
            parts = []
            for name, mask in self.selection.items():
                if mask.numel() and not S.is_whole(world, self.selection, name):
                    parts.append(np.packbits(mask.numpy().astype(np.uint8), bitorder="little").tobytes())
            return b"".join(parts)

    # ------------------------------------------------------------------ what the viewport asks for
    def pick(self, view: dict, x: float, y: float, *, mode: str = "replace") -> str:
        """Select the layer under pixel ``(x, y)`` of the viewport camera ``view`` (nothing there: clear)."""
        world = self.require_world()
        name = pick_layer(world, camera_from_view(view), float(x), float(y))
        if name is None:
            if mode == "replace":
                self.clear_selection()
            return "nothing there: click on an object"
        self.select_layer(name, mode="toggle" if mode == "toggle" else mode)
        return f"picked {name}: " + self.selection_text()

    def select_shape(self, view: dict, shape: str, points, *, radius: float = 20.0, through: bool = False,
                     mode: str = "replace") -> str:
        """Select by a rectangle (2 corners), lasso (polygon) or brush stroke drawn in the viewport.

        Only surfaces the camera sees are taken unless ``through`` is set.
        """
        world = self.require_world()
        cam = camera_from_view(view)
        pts = _points(points, "points")
        if shape == "rect":
            if len(pts) < 2:
                raise InputError("drag a rectangle: press, move and release the mouse")
            m = rect_mask(cam, [pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()])
        elif shape == "lasso":
            m = polygon_mask(cam, pts)
        elif shape == "brush":
            m = brush_mask(cam, pts, radius)
        else:
            raise InputError(f"unknown selection shape {shape!r}: use rect, lasso or brush")
        new = select_screen(world, cam, m, through=bool(through))
        if S.is_empty(new) and mode in ("replace", "intersect"):
            self.combine({}, "replace")
            return "the shape holds no visible splat" + ("" if through else " (turn on 'select through' to reach hidden ones)")
        return self.combine(new, mode)

    def select_everything(self) -> str:
        """Select every visible layer whole, the sky dome left out."""
        world = self.require_world()
        return self.combine(S.select_layers(world, [x.name for x in world.layers if x.visible and not x.is_environment]))

    def run_command(self, text: str) -> str:
        """Run one JSON command from the viewport; returns the message to show.

        Commands: ``pick {view, x, y, mode}``, ``pick_box {name}``, ``select_layer {name, mode}``,
        ``toggle_visible {name}``, ``select_shape {view, shape, points, radius, through, mode}``,
        ``transform {matrix (16, row-major), label}``, ``box {name, position, yaw_deg, size}``,
        ``delete``, ``undo``, ``redo``, ``select_all``, ``invert``, ``clear``, ``hide``, ``show_all``.

        Raises:
            InputError: unreadable JSON, an unknown command, or whatever the command rejects.
        """
        try:
            doc = json.loads(text or "")
        except ValueError:
            raise InputError("the viewport sent an unreadable command: reload the page") from None
        op = doc.get("op") if isinstance(doc, dict) else None
        if op not in COMMANDS:
            raise InputError(f"unknown viewport command {op!r}")
        mode = str(doc.get("mode") or "replace")
        if op == "pick":
            return self.pick(doc.get("view") or {}, doc.get("x", math.nan), doc.get("y", math.nan), mode=mode)
        if op == "pick_box":
            name = str(doc.get("name") or "")
            if self.world is not None and name in self.world:
                self.select_layer(name, mode=mode)
                return f"picked {name}: drag the box, or change its values in the Blockout tab"
            self.require_world()
            self.combine({}, "replace")
            return f"{name} has no layer yet: press Regenerate to build it"
        if op == "select_layer":
            return self.select_layer(str(doc.get("name") or ""), mode=mode)
        if op == "toggle_visible":
            name = str(doc.get("name") or "")
            return self.set_visible([name], not self.require_world().layer(name).visible)
        if op == "select_shape":
            return self.select_shape(doc.get("view") or {}, str(doc.get("shape")), doc.get("points"),
                                     radius=float(doc.get("radius", 20.0)), through=bool(doc.get("through")), mode=mode)
        if op == "transform":
            m = np.asarray(doc.get("matrix", []), dtype=np.float64)
            if m.size != 16:
                raise InputError("the gizmo sent a transform without 16 numbers: drag again")
            return self.transform(torch.from_numpy(m.reshape(4, 4)), label=str(doc.get("label") or "gizmo")[:60])
        if op == "box":
            return self.blockout_set(str(doc.get("name") or ""), position=doc.get("position"),
                                     yaw_deg=doc.get("yaw_deg"), size=doc.get("size"))
        if op == "hide":
            names = [n for n in self._sel() if self.world.layer(n).visible]
            return self.set_visible(names, False)
        if op == "show_all":
            hidden = [x.name for x in self.require_world().layers if not x.visible]
            if not hidden:
                return "every layer is already shown"
            return self.set_visible(hidden, True)
        simple = {"delete": self.delete, "undo": self.undo, "redo": self.redo, "invert": self.invert_selection,
                  "clear": self.clear_selection, "select_all": self.select_everything}
        return simple[op]()
