"""Edit operations on a World: delete, crop, transform, duplicate, separate, recolour, opacity,
floater removal, compose (merge a world or an imported asset), layer renames and blockout edits.

Each operation is an object with ``apply(world)`` / ``undo(world)`` (see :mod:`marble.history`);
build one, then hand it to a :class:`~marble.history.History` so it can be undone::

    from marble import edit, selection as S
    from marble.history import History

    hist = History()
    sel = S.select_box(world, lo=(-1, 0, -1), hi=(1, 2, 1))
    hist.apply(world, edit.Delete(sel))
    hist.apply(world, edit.translate(world, S.select_layers(world, "chair_1"), (0.5, 0, 0)))
    hist.undo(world)

Selections are per-layer masks in world space (:mod:`marble.selection`). A layer selected WHOLE
is edited as a layer: its transform changes (splats and mesh move together), its mesh is
recoloured with its splats, and deleting it removes the layer. A partial selection edits splats
only. Every operation checks its inputs before touching the world, so a rejected edit (empty
selection, NaN in a transform, unknown layer) raises ``InputError`` and changes nothing.
"""

from __future__ import annotations

import copy
import math
from typing import Iterable

import numpy as np
import torch
import trimesh
from torch import Tensor

from marble.edit_state import (
    EYE, check_transform, clone_selection, layer_nbytes, nonzero_idx, pack_gaussians, pack_layer, pack_selection,
    replace_rows, scatter_rows, selection_nbytes, set_layer_order, summarize, take_rows, unpack_gaussians,
    unpack_layer, unpack_selection,
)
from marble.errors import InputError
from marble.gaussians import Gaussians, rgb_to_sh0, sh0_to_rgb
from marble.history import Operation, register, tensor_nbytes
from marble.selection import Selection, check_selection, is_whole, world_points
from marble.world import Layer, World, _mesh_from_tensors, _mesh_to_tensors


# ====================================================================== delete / crop
@register
class Delete(Operation):
    """Delete the selected splats; layers selected whole are removed with their meshes.

    Args:
        selection: what to delete.
        keep_layers: when True, a whole selection empties the layer's splats but keeps the layer
            (and its mesh); used by :class:`Separate`.
    """

    kind = "delete"

    def __init__(self, selection: Selection, *, keep_layers: bool = False) -> None:
        self.selection = clone_selection(selection)
        self.keep_layers = bool(keep_layers)
        self._order_before: list[str] = []
        self._removed_layers: list[Layer] = []
        self._removed_splats: dict[str, Gaussians] = {}

    @property
    def description(self) -> str:
        return f"delete ({summarize(self.selection)})"

    def apply(self, world: World) -> None:
        check_selection(world, self.selection)
        removed_layers: list[Layer] = []
        removed_splats: dict[str, Gaussians] = {}
        new_g: dict[str, Gaussians] = {}
        for name, mask in self.selection.items():
            layer = world.layer(name)
            if not self.keep_layers and is_whole(world, self.selection, name):
                removed_layers.append(layer)
            elif layer.gaussians is not None and mask.numel():
                rm = nonzero_idx(mask)
                if rm.numel() == 0:
                    continue
                keep = nonzero_idx(mask, invert=True)
                g = layer.gaussians
                removed_splats[name] = take_rows(g, rm)
                new_g[name] = take_rows(g, keep)
        self._order_before = world.layer_names
        for name, g in new_g.items():
            world.layer(name).gaussians = g
        for layer in removed_layers:
            world.remove_layer(layer.name)
        self._removed_layers, self._removed_splats = removed_layers, removed_splats

    def undo(self, world: World) -> None:
        for name, removed in self._removed_splats.items():
            layer = world.layer(name)
            layer.gaussians = scatter_rows(layer.gaussians, removed, self.selection[name].to(removed.device))
        for layer in self._removed_layers:
            world.add_layer(layer)
        set_layer_order(world, self._order_before)

    def nbytes(self) -> int:
        return (selection_nbytes(self.selection) + sum(layer_nbytes(x) for x in self._removed_layers)
                + sum(tensor_nbytes(*g.tensors().values()) for g in self._removed_splats.values()))

    def to_state(self, tensors: dict, prefix: str) -> dict:
        doc = {
            "selection": pack_selection(self.selection, tensors, prefix),
            "keep_layers": self.keep_layers,
            "order_before": self._order_before,
            "removed_layers": [pack_layer(x, tensors, f"{prefix}rl{i}/") for i, x in enumerate(self._removed_layers)],
            "removed_splats": list(self._removed_splats),
        }
        for i, g in enumerate(self._removed_splats.values()):
            pack_gaussians(g, tensors, f"{prefix}rs{i}/")
        return doc

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "Delete":
        op = cls(unpack_selection(doc["selection"], tensors, prefix), keep_layers=doc["keep_layers"])
        op._order_before = list(doc["order_before"])
        op._removed_layers = [unpack_layer(d, tensors, f"{prefix}rl{i}/") for i, d in enumerate(doc["removed_layers"])]
        op._removed_splats = {n: unpack_gaussians(tensors, f"{prefix}rs{i}/") for i, n in enumerate(doc["removed_splats"])}
        return op


def crop(world: World, selection: Selection) -> Delete:
    """Keep only the selection: a :class:`Delete` of everything else in the visible layers."""
    from marble.selection import invert, is_empty

    check_selection(world, selection)
    rest = invert(world, selection)
    if is_empty(rest):
        raise InputError("keep-only would delete nothing: the selection already holds everything visible")
    return Delete(rest)


# ====================================================================== transforms
@register
class Transform(Operation):
    """Apply a world-space similarity transform ``T`` (``[4, 4]``: rotation, uniform scale, translation).

    Layers selected whole get ``layer.transform = T @ layer.transform`` (splats and mesh move
    together, no data touched); partially selected layers have only the chosen splats moved.
    """

    kind = "transform"

    def __init__(self, selection: Selection, T, *, label: str = "transform") -> None:
        self.selection = clone_selection(selection)
        self.T = check_transform(T)
        self.label = label
        self._old_transforms: dict[str, Tensor] = {}
        self._old_rows: dict[str, tuple[Tensor, Tensor, Tensor]] = {}

    @property
    def description(self) -> str:
        return f"{self.label} ({summarize(self.selection)})"

    def apply(self, world: World) -> None:
        check_selection(world, self.selection)
        new_transforms: dict[str, Tensor] = {}
        new_g: dict[str, Gaussians] = {}
        old_rows: dict[str, tuple[Tensor, Tensor, Tensor]] = {}
        for name, mask in self.selection.items():
            layer = world.layer(name)
            if is_whole(world, self.selection, name):
                new_transforms[name] = self.T @ layer.transform
                continue
            idx = nonzero_idx(mask)
            if idx.numel() == 0:
                continue
            L = layer.transform
            T_local = torch.linalg.inv(L) @ self.T @ L  # acts on the layer's local coordinates
            g = layer.gaussians
            part = take_rows(g, idx)
            moved = part.transform(T_local)
            old_rows[name] = (part.means, part.quats, part.log_scales)
            new_g[name] = replace_rows(g, idx, means=moved.means, quats=moved.quats, log_scales=moved.log_scales)
        old_transforms = {}
        for name, T_new in new_transforms.items():
            layer = world.layer(name)
            old_transforms[name] = layer.transform
            layer.transform = T_new
        for name, g in new_g.items():
            world.layer(name).gaussians = g
        self._old_transforms, self._old_rows = old_transforms, old_rows

    def undo(self, world: World) -> None:
        for name, T_old in self._old_transforms.items():
            world.layer(name).transform = T_old
        for name, (means, quats, log_scales) in self._old_rows.items():
            layer = world.layer(name)
            idx = nonzero_idx(self.selection[name])
            layer.gaussians = replace_rows(layer.gaussians, idx, means=means, quats=quats, log_scales=log_scales)

    def nbytes(self) -> int:
        return selection_nbytes(self.selection) + sum(tensor_nbytes(*rows) for rows in self._old_rows.values())

    def to_state(self, tensors: dict, prefix: str) -> dict:
        tensors[prefix + "T"] = self.T
        for i, (name, T_old) in enumerate(self._old_transforms.items()):
            tensors[f"{prefix}ot{i}"] = T_old
        for i, rows in enumerate(self._old_rows.values()):
            for k, t in zip(("means", "quats", "log_scales"), rows):
                tensors[f"{prefix}or{i}/{k}"] = t
        return {"selection": pack_selection(self.selection, tensors, prefix), "label": self.label,
                "old_transforms": list(self._old_transforms), "old_rows": list(self._old_rows)}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "Transform":
        op = cls(unpack_selection(doc["selection"], tensors, prefix), tensors[prefix + "T"], label=doc["label"])
        op._old_transforms = {n: tensors[f"{prefix}ot{i}"] for i, n in enumerate(doc["old_transforms"])}
        op._old_rows = {
            n: tuple(tensors[f"{prefix}or{i}/{k}"] for k in ("means", "quats", "log_scales"))
            for i, n in enumerate(doc["old_rows"])
        }
        return op


def selection_center(world: World, selection: Selection) -> Tensor:
    """``[3]`` float64 centroid of the selected splats (and of whole mesh-only layers' vertices)."""
    pts = []
    for name, mask in selection.items():
        layer = world.layer(name)
        if mask.numel():
            p = world_points(layer)[mask]
            if p.shape[0]:
                pts.append(p.double())
        elif layer.mesh is not None and len(layer.mesh.vertices):
            pts.append(torch.from_numpy(np.asarray(layer.world_mesh().vertices, dtype=np.float64)))
    if not pts:
        raise InputError("the selection is empty: select some splats or a layer first")
    return torch.cat(pts).mean(dim=0)


def _about(pivot: Tensor, A: Tensor) -> Tensor:
    """``[4, 4]`` transform applying the 3x3 ``A`` about ``pivot``."""
    T = torch.eye(4, dtype=torch.float64)
    T[:3, :3] = A
    T[:3, 3] = pivot - A @ pivot
    return T


def translate(world: World, selection: Selection, offset) -> Transform:
    """A :class:`Transform` moving the selection by ``offset`` ``[3]`` metres."""
    off = torch.as_tensor(offset, dtype=torch.float64).reshape(-1)
    if off.numel() != 3:
        raise InputError(f"`offset` must have 3 values (x, y, z), got {off.numel()}")
    if not torch.isfinite(off).all():
        raise InputError(f"`offset` contains NaN or Inf: {off.tolist()}")
    T = torch.eye(4, dtype=torch.float64)
    T[:3, 3] = off
    return Transform(selection, T, label=f"move {[round(x, 3) for x in off.tolist()]}")


def axis_angle_matrix(axis, angle_deg: float) -> Tensor:
    """``[3, 3]`` float64 rotation by ``angle_deg`` degrees about ``axis`` (``"x"|"y"|"z"`` or ``[3]``)."""
    if isinstance(axis, str):
        key = axis.lower()
        if key not in ("x", "y", "z"):
            raise InputError(f"`axis` must be x, y, z or a 3-vector, got {axis!r}")
        axis = {"x": (1.0, 0, 0), "y": (0, 1.0, 0), "z": (0, 0, 1.0)}[key]
    a = torch.as_tensor(axis, dtype=torch.float64).reshape(-1)
    ang = float(angle_deg)
    if a.numel() != 3 or not torch.isfinite(a).all() or a.norm() < 1e-12:
        raise InputError(f"`axis` must be a finite non-zero 3-vector, got {a.tolist()}")
    if not math.isfinite(ang):
        raise InputError(f"`angle_deg` must be finite, got {angle_deg}")
    a = a / a.norm()
    th = math.radians(ang)
    K = torch.tensor([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]], dtype=torch.float64)
    return torch.eye(3, dtype=torch.float64) + math.sin(th) * K + (1 - math.cos(th)) * (K @ K)


def rotate(world: World, selection: Selection, angle_deg: float, *, axis="y", pivot=None) -> Transform:
    """A :class:`Transform` rotating the selection about ``axis`` through ``pivot`` (default: its centre)."""
    R = axis_angle_matrix(axis, angle_deg)
    p = selection_center(world, selection) if pivot is None else torch.as_tensor(pivot, dtype=torch.float64)
    return Transform(selection, _about(p, R), label=f"rotate {float(angle_deg):g} deg")


def scale(world: World, selection: Selection, factor: float, *, pivot=None) -> Transform:
    """A :class:`Transform` scaling the selection uniformly by ``factor`` about ``pivot`` (default: its centre)."""
    f = float(factor)
    if not math.isfinite(f) or f <= 0:
        raise InputError(f"scale `factor` must be a positive finite number, got {factor}")
    p = selection_center(world, selection) if pivot is None else torch.as_tensor(pivot, dtype=torch.float64)
    return Transform(selection, _about(p, torch.eye(3, dtype=torch.float64) * f), label=f"scale x{f:g}")


# ====================================================================== layer-producing edits
@register
class Duplicate(Operation):
    """Copy the selection into new layers (``<name>_copy``), moved by ``T`` (default: in place).

    A layer selected whole is copied with its mesh; a partial selection copies its splats only.
    """

    kind = "duplicate"

    def __init__(self, selection: Selection, *, T=None, suffix: str = "copy") -> None:
        self.selection = clone_selection(selection)
        self.T = EYE.clone() if T is None else check_transform(T)
        self.suffix = suffix
        self.created: list[str] = []

    @property
    def description(self) -> str:
        return f"duplicate ({summarize(self.selection)})"

    def apply(self, world: World) -> None:
        check_selection(world, self.selection)
        new_layers: list[Layer] = []
        taken = set(world.layer_names)
        for name, mask in self.selection.items():
            src = world.layer(name)
            base = f"{name}_{self.suffix}"
            new_name, i = base, 2
            while new_name in taken:
                new_name, i = f"{base}_{i}", i + 1
            taken.add(new_name)
            whole = is_whole(world, self.selection, name)
            g = None
            if src.gaussians is not None:
                g = src.gaussians.clone() if whole else take_rows(src.gaussians, nonzero_idx(mask))
            new_layers.append(Layer(
                new_name, label=src.label, gaussians=g, mesh=src.mesh.copy() if (whole and src.mesh is not None) else None,
                transform=self.T @ src.transform, visible=True, meta={**copy.deepcopy(src.meta), "duplicated_from": name},
            ))
        for x in new_layers:
            world.add_layer(x)
        self.created = [x.name for x in new_layers]

    def undo(self, world: World) -> None:
        for name in self.created:
            world.remove_layer(name)

    def nbytes(self) -> int:
        return selection_nbytes(self.selection)

    def to_state(self, tensors: dict, prefix: str) -> dict:
        tensors[prefix + "T"] = self.T
        return {"selection": pack_selection(self.selection, tensors, prefix), "suffix": self.suffix, "created": self.created}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "Duplicate":
        op = cls(unpack_selection(doc["selection"], tensors, prefix), T=tensors[prefix + "T"], suffix=doc["suffix"])
        op.created = list(doc["created"])
        return op


@register
class Separate(Operation):
    """Move the selected splats out of their layers into one new layer called ``name``.

    From a single source layer the new layer keeps that layer's transform and label; from several
    it holds the splats in world coordinates (identity transform). Meshes stay where they are.
    """

    kind = "separate"

    def __init__(self, selection: Selection, name: str, *, label: str | None = None) -> None:
        if not str(name).strip():
            raise InputError("`name` of the new layer must not be empty")
        self.selection = clone_selection(selection)
        self.name = str(name).strip()
        self.label = label
        self._delete = Delete(self.selection, keep_layers=True)

    @property
    def description(self) -> str:
        return f"separate into {self.name}"

    def apply(self, world: World) -> None:
        check_selection(world, self.selection)
        if self.name in world:
            raise InputError(f"a layer named {self.name!r} already exists: choose another `name`")
        srcs = [(n, m) for n, m in self.selection.items() if m.numel() and bool(m.any())]
        if not srcs:
            raise InputError("separate needs selected splats; the selection holds only mesh layers")
        if len(srcs) == 1:
            n, m = srcs[0]
            src = world.layer(n)
            g = take_rows(src.gaussians, nonzero_idx(m))
            layer = Layer(self.name, label=self.label or src.label, gaussians=g, transform=src.transform,
                          meta={"separated_from": [n]})
        else:
            parts = []
            for n, m in srcs:
                src = world.layer(n)
                part = take_rows(src.gaussians, nonzero_idx(m))
                parts.append(part if torch.equal(src.transform, EYE) else part.transform(src.transform))
            layer = Layer(self.name, label=self.label or self.name, gaussians=Gaussians.concat(parts),
                          meta={"separated_from": [n for n, _ in srcs]})
        self._delete.apply(world)
        world.add_layer(layer)

    def undo(self, world: World) -> None:
        world.remove_layer(self.name)
        self._delete.undo(world)

    def nbytes(self) -> int:
        return self._delete.nbytes()

    def to_state(self, tensors: dict, prefix: str) -> dict:
        return {"name": self.name, "label": self.label, "delete": self._delete.to_state(tensors, prefix + "d/")}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "Separate":
        d = Delete.from_state(doc["delete"], tensors, prefix + "d/")
        op = cls(d.selection, doc["name"], label=doc["label"])
        op._delete = d
        op.selection = d.selection
        return op


# ====================================================================== appearance
COLOR_MODES = ("set", "tint", "brightness", "saturation")
_LUMA = torch.tensor([0.2126, 0.7152, 0.0722], dtype=torch.float32)


def _color_map(mode: str, value) -> tuple[Tensor | None, Tensor | None]:
    """``(M [3, 3], constant [3])``: new_rgb = rgb @ M.T, or the constant for ``set``."""
    if mode not in COLOR_MODES:
        raise InputError(f"colour `mode` must be one of {', '.join(COLOR_MODES)}, got {mode!r}")
    if mode in ("set", "tint"):
        v = torch.as_tensor(value, dtype=torch.float32).reshape(-1)
        if v.numel() != 3 or not torch.isfinite(v).all() or (v < 0).any() or (v > 1).any():
            raise InputError(f"`value` for {mode} must be an RGB colour in [0, 1], got {value}")
        return (None, v) if mode == "set" else (torch.diag(v), None)
    f = float(value)
    if not math.isfinite(f) or f < 0 or f > 10:
        raise InputError(f"`value` for {mode} must be a factor in [0, 10], got {value}")
    if mode == "brightness":
        return torch.eye(3) * f, None
    # saturation: lerp between the luminance (grey) and the colour
    return f * torch.eye(3) + (1 - f) * _LUMA[None, :].expand(3, 3), None


def _recolor_rgb(rgb: np.ndarray, M: Tensor | None, const: Tensor | None) -> np.ndarray:
    """Apply the colour map to float RGB ``[..., 3]`` in [0, 1] (numpy)."""
    if const is not None:
        out = np.broadcast_to(const.numpy(), rgb.shape)
    else:
        out = rgb @ M.numpy().T
    return np.clip(out, 0.0, 1.0)


def _recolor_mesh(mesh: trimesh.Trimesh, M: Tensor | None, const: Tensor | None) -> trimesh.Trimesh:
    """A copy of ``mesh`` with vertex/face colours or its base-colour texture recoloured."""
    def fix(arr: np.ndarray) -> np.ndarray:
        arr = np.array(arr, copy=True)
        if arr.dtype == np.uint8:
            arr[..., :3] = np.round(_recolor_rgb(arr[..., :3].astype(np.float32) / 255.0, M, const) * 255).astype(np.uint8)
        else:
            arr[..., :3] = _recolor_rgb(arr[..., :3].astype(np.float32), M, const)
        return arr

    vis = mesh.visual
    new = trimesh.Trimesh(vertices=mesh.vertices.copy(), faces=mesh.faces.copy(), process=False, validate=False)
    if isinstance(vis, trimesh.visual.TextureVisuals) and vis.uv is not None:
        from PIL import Image

        mat = copy.deepcopy(vis.material)
        img = getattr(mat, "baseColorTexture", None)
        if img is not None:
            mat.baseColorTexture = Image.fromarray(fix(np.asarray(img)))
        elif getattr(mat, "image", None) is not None:
            mat.image = Image.fromarray(fix(np.asarray(mat.image)))
        elif getattr(mat, "baseColorFactor", None) is not None:
            mat.baseColorFactor = fix(np.asarray(mat.baseColorFactor, dtype=np.uint8))
        new.visual = trimesh.visual.TextureVisuals(uv=np.array(vis.uv, copy=True), material=mat)
    elif isinstance(vis, trimesh.visual.ColorVisuals) and vis.kind == "face":
        new.visual = trimesh.visual.ColorVisuals(face_colors=fix(vis.face_colors))
    elif isinstance(vis, trimesh.visual.ColorVisuals) and vis.kind == "vertex":
        new.visual = trimesh.visual.ColorVisuals(vertex_colors=fix(vis.vertex_colors))
    elif const is not None:
        rgba = np.concatenate([np.round(const.numpy() * 255), [255]]).astype(np.uint8)
        new.visual = trimesh.visual.ColorVisuals(vertex_colors=np.tile(rgba, (len(mesh.vertices), 1)))
    else:
        new.visual = vis.copy()
    return new


@register
class Recolor(Operation):
    """Change the colour of the selection.

    Modes: ``set`` (value: RGB in [0, 1]; view-dependent bands are cleared), ``tint`` (RGB
    multiplier), ``brightness`` (factor), ``saturation`` (factor; 0 = grey, 1 = unchanged).
    Layers selected whole have their mesh colours (vertex, face or texture) changed too.
    """

    kind = "recolor"

    def __init__(self, selection: Selection, *, mode: str, value) -> None:
        self.M, self.const = _color_map(mode, value)
        self.selection = clone_selection(selection)
        self.mode = mode
        self.value = value if isinstance(value, (int, float)) else [float(x) for x in torch.as_tensor(value).reshape(-1)]
        self._old_rows: dict[str, tuple[Tensor, Tensor | None]] = {}
        self._old_meshes: dict[str, trimesh.Trimesh] = {}

    @property
    def description(self) -> str:
        return f"{self.mode} {self.value} ({summarize(self.selection)})"

    def apply(self, world: World) -> None:
        check_selection(world, self.selection)
        new_g, old_rows, new_meshes = {}, {}, {}
        for name, mask in self.selection.items():
            layer = world.layer(name)
            if layer.gaussians is not None and mask.numel():
                idx = nonzero_idx(mask)
                if idx.numel():
                    g = layer.gaussians
                    sh0 = g.sh0[idx]
                    shN = None if g.shN is None else g.shN[idx]
                    rgb = sh0_to_rgb(sh0)
                    if self.const is not None:
                        new_rgb = self.const.to(rgb.device).expand_as(rgb)
                        new_shN = None if shN is None else torch.zeros_like(shN)
                    else:
                        M = self.M.to(rgb.device)
                        new_rgb = (rgb.clamp(0, 1) @ M.T).clamp(0, 1)
                        new_shN = None if shN is None else shN @ M.T
                    fields = {"sh0": rgb_to_sh0(new_rgb)}
                    if new_shN is not None:
                        fields["shN"] = new_shN
                    new_g[name] = replace_rows(g, idx, **fields)
                    old_rows[name] = (sh0, shN)
            if layer.mesh is not None and is_whole(world, self.selection, name):
                new_meshes[name] = _recolor_mesh(layer.mesh, self.M, self.const)
        old_meshes = {}
        for name, g in new_g.items():
            world.layer(name).gaussians = g
        for name, m in new_meshes.items():
            layer = world.layer(name)
            old_meshes[name] = layer.mesh
            layer.mesh = m
        self._old_rows, self._old_meshes = old_rows, old_meshes

    def undo(self, world: World) -> None:
        for name, (sh0, shN) in self._old_rows.items():
            layer = world.layer(name)
            idx = nonzero_idx(self.selection[name])
            fields = {"sh0": sh0} if shN is None else {"sh0": sh0, "shN": shN}
            layer.gaussians = replace_rows(layer.gaussians, idx, **fields)
        for name, m in self._old_meshes.items():
            world.layer(name).mesh = m

    def nbytes(self) -> int:
        n = selection_nbytes(self.selection) + sum(tensor_nbytes(*r) for r in self._old_rows.values())
        for m in self._old_meshes.values():
            n += int(np.asarray(m.vertices).nbytes + np.asarray(m.faces).nbytes)
        return n

    def to_state(self, tensors: dict, prefix: str) -> dict:
        for i, (sh0, shN) in enumerate(self._old_rows.values()):
            tensors[f"{prefix}or{i}/sh0"] = sh0
            if shN is not None:
                tensors[f"{prefix}or{i}/shN"] = shN
        meshes = [_mesh_to_tensors(m, tensors, f"{prefix}om{i}/") for i, m in enumerate(self._old_meshes.values())]
        return {"selection": pack_selection(self.selection, tensors, prefix), "mode": self.mode, "value": self.value,
                "old_rows": list(self._old_rows), "old_meshes": list(self._old_meshes), "mesh_docs": meshes}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "Recolor":
        op = cls(unpack_selection(doc["selection"], tensors, prefix), mode=doc["mode"], value=doc["value"])
        op._old_rows = {n: (tensors[f"{prefix}or{i}/sh0"], tensors.get(f"{prefix}or{i}/shN"))
                        for i, n in enumerate(doc["old_rows"])}
        op._old_meshes = {n: _mesh_from_tensors(d, tensors, f"{prefix}om{i}/")
                          for i, (n, d) in enumerate(zip(doc["old_meshes"], doc["mesh_docs"]))}
        return op


@register
class SetOpacity(Operation):
    """Set (``mode="set"``, value in (0, 1)) or scale (``mode="scale"``, factor >= 0) the selection's opacity."""

    kind = "opacity"

    def __init__(self, selection: Selection, value: float, *, mode: str = "set") -> None:
        v = float(value)
        if mode == "set" and not (0.0 <= v <= 1.0):
            raise InputError(f"opacity `value` must be in [0, 1], got {value}")
        if mode == "scale" and not (math.isfinite(v) and v >= 0):
            raise InputError(f"opacity scale `value` must be a finite factor >= 0, got {value}")
        if mode not in ("set", "scale"):
            raise InputError(f"opacity `mode` must be 'set' or 'scale', got {mode!r}")
        self.selection = clone_selection(selection)
        self.value, self.mode = v, mode
        self._old: dict[str, Tensor] = {}

    @property
    def description(self) -> str:
        return f"opacity {self.mode} {self.value:g} ({summarize(self.selection)})"

    def apply(self, world: World) -> None:
        check_selection(world, self.selection)
        new_g, old = {}, {}
        for name, mask in self.selection.items():
            layer = world.layer(name)
            if layer.gaussians is None or not mask.numel():
                continue
            idx = nonzero_idx(mask)
            if not idx.numel():
                continue
            logits = layer.gaussians.opacity_logits[idx]
            op = torch.full_like(logits, self.value) if self.mode == "set" else torch.sigmoid(logits) * self.value
            new_g[name] = replace_rows(layer.gaussians, idx, opacity_logits=torch.logit(op.clamp(1e-6, 1 - 1e-6)))
            old[name] = logits
        if not new_g:
            raise InputError("opacity applies to splats; the selection holds only mesh layers")
        for name, g in new_g.items():
            world.layer(name).gaussians = g
        self._old = old

    def undo(self, world: World) -> None:
        for name, logits in self._old.items():
            layer = world.layer(name)
            idx = nonzero_idx(self.selection[name])
            layer.gaussians = replace_rows(layer.gaussians, idx, opacity_logits=logits)

    def nbytes(self) -> int:
        return selection_nbytes(self.selection) + tensor_nbytes(*self._old.values())

    def to_state(self, tensors: dict, prefix: str) -> dict:
        for i, t in enumerate(self._old.values()):
            tensors[f"{prefix}old{i}"] = t
        return {"selection": pack_selection(self.selection, tensors, prefix), "value": self.value,
                "mode": self.mode, "old": list(self._old)}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "SetOpacity":
        op = cls(unpack_selection(doc["selection"], tensors, prefix), doc["value"], mode=doc["mode"])
        op._old = {n: tensors[f"{prefix}old{i}"] for i, n in enumerate(doc["old"])}
        return op


# ====================================================================== layer properties
@register
class RenameLayer(Operation):
    """Rename a layer (its position in the order is kept)."""

    kind = "rename"

    def __init__(self, old: str, new: str) -> None:
        new = str(new).strip()
        if not new:
            raise InputError("the new layer `name` must not be empty")
        self.old, self.new = old, new

    @property
    def description(self) -> str:
        return f"rename {self.old} -> {self.new}"

    def apply(self, world: World) -> None:
        world.rename_layer(self.old, self.new)

    def undo(self, world: World) -> None:
        world.rename_layer(self.new, self.old)

    def to_state(self, tensors: dict, prefix: str) -> dict:
        return {"old": self.old, "new": self.new}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "RenameLayer":
        return cls(doc["old"], doc["new"])


@register
class SetLayer(Operation):
    """Change a layer's ``label`` and/or ``visible`` flag."""

    kind = "set_layer"

    def __init__(self, name: str, *, label: str | None = None, visible: bool | None = None) -> None:
        if label is None and visible is None:
            raise InputError("give a new `label` or `visible`")
        if label is not None and not str(label).strip():
            raise InputError("`label` must not be empty")
        self.name, self.label, self.visible = name, label, visible
        self._old: tuple[str, bool] | None = None

    @property
    def description(self) -> str:
        parts = ([f"label={self.label}"] if self.label is not None else []) + (
            [f"visible={self.visible}"] if self.visible is not None else [])
        return f"{self.name}: {', '.join(parts)}"

    def apply(self, world: World) -> None:
        layer = world.layer(self.name)
        self._old = (layer.label, layer.visible)
        if self.label is not None:
            layer.label = str(self.label).strip()
        if self.visible is not None:
            layer.visible = bool(self.visible)

    def undo(self, world: World) -> None:
        layer = world.layer(self.name)
        layer.label, layer.visible = self._old

    def to_state(self, tensors: dict, prefix: str) -> dict:
        return {"name": self.name, "label": self.label, "visible": self.visible, "old": list(self._old or ("", True))}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "SetLayer":
        op = cls(doc["name"], label=doc["label"], visible=doc["visible"])
        op._old = (doc["old"][0], bool(doc["old"][1]))
        return op


# ====================================================================== floaters
def select_floaters(
    world: World,
    *,
    neighbors: int = 16,
    std_ratio: float = 2.0,
    layers: Iterable[str] | None = None,
    skip_labels: tuple[str, ...] = ("sky",),
) -> Selection:
    """Statistical outlier removal (open3d): splats whose mean distance to their ``neighbors``
    nearest neighbours is more than ``std_ratio`` standard deviations above the layer's average.

    Runs per layer (so a sparse sky dome is judged against itself); layers labelled in
    ``skip_labels`` are left out. Returns a selection of the floaters (possibly empty).
    """
    import open3d as o3d

    if int(neighbors) < 2:
        raise InputError(f"`neighbors` must be >= 2, got {neighbors}")
    if not (math.isfinite(float(std_ratio)) and float(std_ratio) > 0):
        raise InputError(f"`std_ratio` must be > 0, got {std_ratio}")
    names = None if layers is None else set(layers)
    sel: Selection = {}
    for layer in world.layers:
        if not layer.visible or layer.gaussians is None or layer.num_splats <= int(neighbors):
            continue
        if (names is not None and layer.name not in names) or (names is None and layer.label in skip_labels):
            continue
        pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(world_points(layer).double().numpy()))
        _, inliers = pcd.remove_statistical_outlier(nb_neighbors=int(neighbors), std_ratio=float(std_ratio))
        mask = torch.ones(layer.num_splats, dtype=torch.bool)
        mask[torch.as_tensor(np.asarray(inliers, dtype=np.int64))] = False
        if bool(mask.any()):
            sel[layer.name] = mask
    return sel


def remove_floaters(world: World, **options) -> Delete:
    """A :class:`Delete` of :func:`select_floaters` (options passed through).

    Raises:
        InputError: no floaters were found (nothing to delete).
    """
    sel = select_floaters(world, **options)
    if not sel:
        raise InputError("no floaters found: the splats are already clean (try a lower `std_ratio`)")
    # a floater mask never covers a whole layer here unless every splat is an outlier; keep layers then
    return Delete(sel, keep_layers=True)


# ====================================================================== re-exports
# Compose and blockout edits live in their own modules; importing them here registers their
# operation kinds (so a saved history restores) and keeps ``marble.edit`` the one place to look.
from marble.blockout_edit import (  # noqa: E402
    BLOCKOUT_BASE_KEY, LayoutEdit, ReplaceLayers, add_object, changed_objects, delete_object, move_object,
    plan_regenerate, regenerate, relabel_object, resize_object,
)
from marble.compose import ASSET_SUFFIXES, AddLayers, import_asset, load_asset, merge  # noqa: E402

__all__ = [
    "ASSET_SUFFIXES", "AddLayers", "BLOCKOUT_BASE_KEY", "COLOR_MODES", "Delete", "Duplicate", "LayoutEdit",
    "Recolor", "RenameLayer", "ReplaceLayers", "Separate", "SetLayer", "SetOpacity", "Transform", "add_object",
    "axis_angle_matrix", "changed_objects", "crop", "delete_object", "import_asset", "load_asset", "merge",
    "move_object", "plan_regenerate", "regenerate", "relabel_object", "remove_floaters", "resize_object", "rotate",
    "scale", "select_floaters", "selection_center", "translate",
]
