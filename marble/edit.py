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
from dataclasses import asdict
from pathlib import Path
from typing import Iterable

import numpy as np
import torch
import trimesh
from torch import Tensor

from marble.errors import FormatError, InputError
from marble.gaussians import Gaussians, decompose_similarity, rgb_to_sh0, sh0_to_rgb
from marble.history import Operation, register, tensor_nbytes
from marble.layout import Layout, LayoutObject
from marble.limits import limits
from marble.selection import Selection, check_selection, is_whole, world_points
from marble.world import Layer, World, _mesh_from_tensors, _mesh_to_tensors

BLOCKOUT_BASE_KEY = "blockout_base"
"""``world.extras`` key holding the layout the current layers were generated from."""

_EYE = torch.eye(4, dtype=torch.float64)


# ====================================================================== small helpers
def _clone_selection(selection: Selection) -> Selection:
    return {k: v.detach().to("cpu", torch.bool).clone() for k, v in selection.items()}


def _set_order(world: World, order: list[str]) -> None:
    """Reorder ``world``'s layers to ``order`` (the same set of names)."""
    if world.layer_names == order:
        return
    layers = {layer.name: layer for layer in world.layers}
    for name in list(world.layer_names):
        world.remove_layer(name)
    for name in order:
        world.add_layer(layers[name])


def _check_transform(T) -> Tensor:
    T = torch.as_tensor(T, dtype=torch.float64)
    if T.shape != (4, 4):
        raise InputError(f"transform `T` must be a 4x4 matrix, got shape {tuple(T.shape)}")
    if not torch.isfinite(T).all():
        raise InputError("transform `T` contains NaN or Inf: check the offset, angle and scale you entered")
    if (T[3] - torch.tensor([0, 0, 0, 1], dtype=torch.float64)).abs().max() > 1e-9:
        raise InputError("transform `T` must have a last row of (0, 0, 0, 1)")
    decompose_similarity(T)  # rotation x uniform scale, no reflection
    return T.clone()


def _take(g: Gaussians, idx: Tensor) -> Gaussians:
    """Rows ``idx`` (``[M]`` int64) of every field; ``index_select`` is several times faster than ``t[idx]`` on CPU."""
    return Gaussians(**{k: t.index_select(0, idx) for k, t in g.tensors().items()})


def _scatter(kept: Gaussians, removed: Gaussians, mask: Tensor) -> Gaussians:
    """Interleave ``kept`` (where ``mask`` is False) and ``removed`` (where True) back into one set."""
    out = {}
    k, r = kept.tensors(), removed.tensors()
    if (kept.shN is None) != (removed.shN is None):
        raise FormatError("edit history: deleted splats and kept splats disagree on SH bands")
    rm_idx = mask.nonzero().squeeze(1)
    keep_idx = (~mask).nonzero().squeeze(1)
    for name, t in k.items():
        full = torch.empty((mask.shape[0],) + tuple(t.shape[1:]), dtype=t.dtype, device=t.device)
        full.index_copy_(0, rm_idx, r[name])
        full.index_copy_(0, keep_idx, t)
        out[name] = full
    return Gaussians(**out)


def _replace_rows(g: Gaussians, idx: Tensor, **fields: Tensor) -> Gaussians:
    """A new set equal to ``g`` except the rows ``idx`` of the given fields (out of place)."""
    parts = g.tensors()
    for name, rows in fields.items():
        parts[name] = parts[name].index_put((idx,), rows.to(parts[name].dtype))
    return Gaussians(**parts)


def _pack_g(g: Gaussians, tensors: dict, prefix: str) -> None:
    for k, t in g.tensors().items():
        tensors[prefix + k] = t.detach().cpu()


def _unpack_g(tensors: dict, prefix: str) -> Gaussians:
    parts = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix) and "/" not in k[len(prefix):]}
    if "means" not in parts:
        raise KeyError(prefix + "means")
    return Gaussians(**parts)


def _pack_layer(layer: Layer, tensors: dict, prefix: str) -> dict:
    doc = {"name": layer.name, "label": layer.label, "visible": layer.visible, "meta": layer.meta,
           "gaussians": layer.gaussians is not None, "mesh": None}
    tensors[prefix + "transform"] = layer.transform
    if layer.gaussians is not None:
        _pack_g(layer.gaussians, tensors, prefix + "g/")
    if layer.mesh is not None:
        doc["mesh"] = _mesh_to_tensors(layer.mesh, tensors, prefix + "m/")
    return doc


def _unpack_layer(doc: dict, tensors: dict, prefix: str) -> Layer:
    return Layer(
        doc["name"], label=doc["label"], visible=doc["visible"], meta=doc["meta"],
        gaussians=_unpack_g(tensors, prefix + "g/") if doc["gaussians"] else None,
        mesh=None if doc["mesh"] is None else _mesh_from_tensors(doc["mesh"], tensors, prefix + "m/"),
        transform=tensors[prefix + "transform"],
    )


def _layer_nbytes(layer: Layer) -> int:
    n = 0
    if layer.gaussians is not None:
        n += tensor_nbytes(*layer.gaussians.tensors().values())
    if layer.mesh is not None:
        n += int(np.asarray(layer.mesh.vertices).nbytes + np.asarray(layer.mesh.faces).nbytes)
    return n


def _pack_selection(sel: Selection, tensors: dict, prefix: str) -> list[str]:
    names = list(sel)
    for i, name in enumerate(names):
        tensors[f"{prefix}sel{i}"] = sel[name]
    return names


def _unpack_selection(names: list[str], tensors: dict, prefix: str) -> Selection:
    return {name: tensors[f"{prefix}sel{i}"].to(torch.bool) for i, name in enumerate(names)}


def _sel_nbytes(sel: Selection) -> int:
    return tensor_nbytes(*sel.values())


def _summary(sel: Selection) -> str:
    names = list(sel)
    text = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
    return text or "nothing"


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
        self.selection = _clone_selection(selection)
        self.keep_layers = bool(keep_layers)
        self._order_before: list[str] = []
        self._removed_layers: list[Layer] = []
        self._removed_splats: dict[str, Gaussians] = {}

    @property
    def description(self) -> str:
        return f"delete ({_summary(self.selection)})"

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
                rm = mask.nonzero().squeeze(1)
                if rm.numel() == 0:
                    continue
                keep = (~mask).nonzero().squeeze(1)
                g = layer.gaussians
                removed_splats[name] = _take(g, rm)
                new_g[name] = _take(g, keep)
        self._order_before = world.layer_names
        for name, g in new_g.items():
            world.layer(name).gaussians = g
        for layer in removed_layers:
            world.remove_layer(layer.name)
        self._removed_layers, self._removed_splats = removed_layers, removed_splats

    def undo(self, world: World) -> None:
        for name, removed in self._removed_splats.items():
            layer = world.layer(name)
            layer.gaussians = _scatter(layer.gaussians, removed, self.selection[name].to(removed.device))
        for layer in self._removed_layers:
            world.add_layer(layer)
        _set_order(world, self._order_before)

    def nbytes(self) -> int:
        return (_sel_nbytes(self.selection) + sum(_layer_nbytes(x) for x in self._removed_layers)
                + sum(tensor_nbytes(*g.tensors().values()) for g in self._removed_splats.values()))

    def to_state(self, tensors: dict, prefix: str) -> dict:
        doc = {
            "selection": _pack_selection(self.selection, tensors, prefix),
            "keep_layers": self.keep_layers,
            "order_before": self._order_before,
            "removed_layers": [_pack_layer(x, tensors, f"{prefix}rl{i}/") for i, x in enumerate(self._removed_layers)],
            "removed_splats": list(self._removed_splats),
        }
        for i, g in enumerate(self._removed_splats.values()):
            _pack_g(g, tensors, f"{prefix}rs{i}/")
        return doc

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "Delete":
        op = cls(_unpack_selection(doc["selection"], tensors, prefix), keep_layers=doc["keep_layers"])
        op._order_before = list(doc["order_before"])
        op._removed_layers = [_unpack_layer(d, tensors, f"{prefix}rl{i}/") for i, d in enumerate(doc["removed_layers"])]
        op._removed_splats = {n: _unpack_g(tensors, f"{prefix}rs{i}/") for i, n in enumerate(doc["removed_splats"])}
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
        self.selection = _clone_selection(selection)
        self.T = _check_transform(T)
        self.label = label
        self._old_transforms: dict[str, Tensor] = {}
        self._old_rows: dict[str, tuple[Tensor, Tensor, Tensor]] = {}

    @property
    def description(self) -> str:
        return f"{self.label} ({_summary(self.selection)})"

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
            idx = mask.nonzero().squeeze(1)
            if idx.numel() == 0:
                continue
            L = layer.transform
            T_local = torch.linalg.inv(L) @ self.T @ L  # acts on the layer's local coordinates
            g = layer.gaussians
            part = g.select(idx)
            moved = part.transform(T_local)
            old_rows[name] = (part.means, part.quats, part.log_scales)
            new_g[name] = _replace_rows(g, idx, means=moved.means, quats=moved.quats, log_scales=moved.log_scales)
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
            idx = self.selection[name].nonzero().squeeze(1)
            layer.gaussians = _replace_rows(layer.gaussians, idx, means=means, quats=quats, log_scales=log_scales)

    def nbytes(self) -> int:
        return _sel_nbytes(self.selection) + sum(tensor_nbytes(*rows) for rows in self._old_rows.values())

    def to_state(self, tensors: dict, prefix: str) -> dict:
        tensors[prefix + "T"] = self.T
        for i, (name, T_old) in enumerate(self._old_transforms.items()):
            tensors[f"{prefix}ot{i}"] = T_old
        for i, rows in enumerate(self._old_rows.values()):
            for k, t in zip(("means", "quats", "log_scales"), rows):
                tensors[f"{prefix}or{i}/{k}"] = t
        return {"selection": _pack_selection(self.selection, tensors, prefix), "label": self.label,
                "old_transforms": list(self._old_transforms), "old_rows": list(self._old_rows)}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "Transform":
        op = cls(_unpack_selection(doc["selection"], tensors, prefix), tensors[prefix + "T"], label=doc["label"])
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
class AddLayers(Operation):
    """Add ready-made layers (compose / merge / import); undo removes them."""

    kind = "add_layers"

    def __init__(self, layers: list[Layer], *, label: str = "add layers") -> None:
        names = [x.name for x in layers]
        if len(set(names)) != len(names):
            raise InputError(f"layer names to add must be unique, got {names}")
        if not layers:
            raise InputError("nothing to add: the asset or world has no layers")
        self.layers = list(layers)
        self.label = label

    @property
    def description(self) -> str:
        return f"{self.label} ({', '.join(x.name for x in self.layers[:3])}{' ...' if len(self.layers) > 3 else ''})"

    def apply(self, world: World) -> None:
        clash = [x.name for x in self.layers if x.name in world]
        if clash:
            raise InputError(f"layers {clash} already exist: rename them first")
        for x in self.layers:
            if x.gaussians is not None:
                x.gaussians.validate()
        for x in self.layers:
            world.add_layer(x)

    def undo(self, world: World) -> None:
        for x in self.layers:
            world.remove_layer(x.name)

    def nbytes(self) -> int:
        return sum(_layer_nbytes(x) for x in self.layers)

    def to_state(self, tensors: dict, prefix: str) -> dict:
        return {"label": self.label, "layers": [_pack_layer(x, tensors, f"{prefix}l{i}/") for i, x in enumerate(self.layers)]}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "AddLayers":
        return cls([_unpack_layer(d, tensors, f"{prefix}l{i}/") for i, d in enumerate(doc["layers"])], label=doc["label"])


@register
class Duplicate(Operation):
    """Copy the selection into new layers (``<name>_copy``), moved by ``T`` (default: in place).

    A layer selected whole is copied with its mesh; a partial selection copies its splats only.
    """

    kind = "duplicate"

    def __init__(self, selection: Selection, *, T=None, suffix: str = "copy") -> None:
        self.selection = _clone_selection(selection)
        self.T = _EYE.clone() if T is None else _check_transform(T)
        self.suffix = suffix
        self.created: list[str] = []

    @property
    def description(self) -> str:
        return f"duplicate ({_summary(self.selection)})"

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
                g = src.gaussians.clone() if whole else src.gaussians.select(mask.nonzero().squeeze(1))
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
        return _sel_nbytes(self.selection)

    def to_state(self, tensors: dict, prefix: str) -> dict:
        tensors[prefix + "T"] = self.T
        return {"selection": _pack_selection(self.selection, tensors, prefix), "suffix": self.suffix, "created": self.created}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "Duplicate":
        op = cls(_unpack_selection(doc["selection"], tensors, prefix), T=tensors[prefix + "T"], suffix=doc["suffix"])
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
        self.selection = _clone_selection(selection)
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
            g = src.gaussians.select(m.nonzero().squeeze(1))
            layer = Layer(self.name, label=self.label or src.label, gaussians=g, transform=src.transform,
                          meta={"separated_from": [n]})
        else:
            parts = []
            for n, m in srcs:
                src = world.layer(n)
                part = src.gaussians.select(m.nonzero().squeeze(1))
                parts.append(part if torch.equal(src.transform, _EYE) else part.transform(src.transform))
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
        self.selection = _clone_selection(selection)
        self.mode = mode
        self.value = value if isinstance(value, (int, float)) else [float(x) for x in torch.as_tensor(value).reshape(-1)]
        self._old_rows: dict[str, tuple[Tensor, Tensor | None]] = {}
        self._old_meshes: dict[str, trimesh.Trimesh] = {}

    @property
    def description(self) -> str:
        return f"{self.mode} {self.value} ({_summary(self.selection)})"

    def apply(self, world: World) -> None:
        check_selection(world, self.selection)
        new_g, old_rows, new_meshes = {}, {}, {}
        for name, mask in self.selection.items():
            layer = world.layer(name)
            if layer.gaussians is not None and mask.numel():
                idx = mask.nonzero().squeeze(1)
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
                    new_g[name] = _replace_rows(g, idx, **fields)
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
            idx = self.selection[name].nonzero().squeeze(1)
            fields = {"sh0": sh0} if shN is None else {"sh0": sh0, "shN": shN}
            layer.gaussians = _replace_rows(layer.gaussians, idx, **fields)
        for name, m in self._old_meshes.items():
            world.layer(name).mesh = m

    def nbytes(self) -> int:
        n = _sel_nbytes(self.selection) + sum(tensor_nbytes(*r) for r in self._old_rows.values())
        for m in self._old_meshes.values():
            n += int(np.asarray(m.vertices).nbytes + np.asarray(m.faces).nbytes)
        return n

    def to_state(self, tensors: dict, prefix: str) -> dict:
        for i, (sh0, shN) in enumerate(self._old_rows.values()):
            tensors[f"{prefix}or{i}/sh0"] = sh0
            if shN is not None:
                tensors[f"{prefix}or{i}/shN"] = shN
        meshes = [_mesh_to_tensors(m, tensors, f"{prefix}om{i}/") for i, m in enumerate(self._old_meshes.values())]
        return {"selection": _pack_selection(self.selection, tensors, prefix), "mode": self.mode, "value": self.value,
                "old_rows": list(self._old_rows), "old_meshes": list(self._old_meshes), "mesh_docs": meshes}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "Recolor":
        op = cls(_unpack_selection(doc["selection"], tensors, prefix), mode=doc["mode"], value=doc["value"])
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
        self.selection = _clone_selection(selection)
        self.value, self.mode = v, mode
        self._old: dict[str, Tensor] = {}

    @property
    def description(self) -> str:
        return f"opacity {self.mode} {self.value:g} ({_summary(self.selection)})"

    def apply(self, world: World) -> None:
        check_selection(world, self.selection)
        new_g, old = {}, {}
        for name, mask in self.selection.items():
            layer = world.layer(name)
            if layer.gaussians is None or not mask.numel():
                continue
            idx = mask.nonzero().squeeze(1)
            if not idx.numel():
                continue
            logits = layer.gaussians.opacity_logits[idx]
            op = torch.full_like(logits, self.value) if self.mode == "set" else torch.sigmoid(logits) * self.value
            new_g[name] = _replace_rows(layer.gaussians, idx, opacity_logits=torch.logit(op.clamp(1e-6, 1 - 1e-6)))
            old[name] = logits
        if not new_g:
            raise InputError("opacity applies to splats; the selection holds only mesh layers")
        for name, g in new_g.items():
            world.layer(name).gaussians = g
        self._old = old

    def undo(self, world: World) -> None:
        for name, logits in self._old.items():
            layer = world.layer(name)
            idx = self.selection[name].nonzero().squeeze(1)
            layer.gaussians = _replace_rows(layer.gaussians, idx, opacity_logits=logits)

    def nbytes(self) -> int:
        return _sel_nbytes(self.selection) + tensor_nbytes(*self._old.values())

    def to_state(self, tensors: dict, prefix: str) -> dict:
        for i, t in enumerate(self._old.values()):
            tensors[f"{prefix}old{i}"] = t
        return {"selection": _pack_selection(self.selection, tensors, prefix), "value": self.value,
                "mode": self.mode, "old": list(self._old)}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "SetOpacity":
        op = cls(_unpack_selection(doc["selection"], tensors, prefix), doc["value"], mode=doc["mode"])
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


# ====================================================================== compose
def merge(world: World, other: World, *, T=None, prefix: str = "") -> AddLayers:
    """An :class:`AddLayers` that brings every layer of ``other`` into ``world`` at transform ``T``.

    Layer names get ``prefix`` and a ``_2``, ``_3``... suffix when taken. ``other`` is not modified.
    """
    T = _EYE.clone() if T is None else _check_transform(T)
    taken = set(world.layer_names)
    layers = []
    for src in other.layers:
        base = f"{prefix}{src.name}"
        name, i = base, 2
        while name in taken:
            name, i = f"{base}_{i}", i + 1
        taken.add(name)
        layers.append(Layer(
            name, label=src.label, gaussians=None if src.gaussians is None else src.gaussians.clone(),
            mesh=None if src.mesh is None else src.mesh.copy(), transform=T @ src.transform, visible=src.visible,
            meta={**copy.deepcopy(src.meta), "merged_from": src.name},
        ))
    return AddLayers(layers, label="merge")


_MESH_ONLY_SUFFIXES = (".gltf", ".obj", ".stl")
ASSET_SUFFIXES = (".marble", ".ply", ".compressed.ply", ".splat", ".spz", ".glb", ".gltf", ".obj", ".stl")


def load_asset(path: str | Path) -> World:
    """Read a file to compose into a world: a ``.marble`` bundle, a splat or GLB file the project's
    importers read (``exporters.import_file``: ``.ply``, ``.spz``, ``.splat``, ``.glb``...), or a
    mesh trimesh reads (``.gltf``, ``.obj``, ``.stl``).

    Raises:
        InputError: missing file, unsupported extension, or larger than the import limit.
        FormatError: the file cannot be parsed.
    """
    p = Path(path)
    name = p.name.lower()
    if not any(name.endswith(s) for s in ASSET_SUFFIXES):
        raise InputError(f"cannot import {p.name!r}: supported files are {', '.join(ASSET_SUFFIXES)}")
    if not p.is_file():
        raise InputError(f"asset file {str(p)!r} does not exist")
    size, cap = p.stat().st_size, limits().max_file_bytes
    if size > cap:
        raise InputError(f"{p.name} is {size} bytes, over the import limit of {cap} (MARBLE_MAX_FILE_BYTES)")
    if name.endswith(".marble"):
        return World.load(p)
    if name.endswith(_MESH_ONLY_SUFFIXES):
        return _load_mesh_asset(p)
    from exporters import IMPORTERS, import_file  # lazy: marble never imports exporters at module level

    if any(name.endswith(ext) for ext in IMPORTERS):
        result = import_file(p)
        if not isinstance(result, World):
            raise FormatError(f"{p.name}: importer returned {type(result).__name__}, expected a World")
        return result
    return _load_mesh_asset(p)


def _load_mesh_asset(p: Path) -> World:
    try:
        scene = trimesh.load(str(p), force="scene")
    except Exception as exc:  # trimesh raises many types for malformed files
        raise FormatError(f"{p.name}: not a readable mesh ({type(exc).__name__}: {exc})") from exc
    world = World()
    stem = p.name.split(".")[0] or "asset"
    for node in scene.graph.nodes_geometry:
        T, geom_name = scene.graph[node]
        geom = scene.geometry[geom_name]
        if not isinstance(geom, trimesh.Trimesh) or len(geom.faces) == 0:
            continue
        mesh = geom.copy()
        mesh.apply_transform(T)  # baked, so the layer transform stays a similarity
        world.add_layer(Layer(world.unique_name(f"{stem}_{node}" if len(scene.geometry) > 1 else stem),
                              label=stem, mesh=mesh, meta={"imported_from": p.name}))
    if not world.layers:
        raise FormatError(f"{p.name}: holds no triangle meshes")
    return world


def import_asset(world: World, path: str | Path, *, T=None) -> AddLayers:
    """An :class:`AddLayers` composing the asset at ``path`` into ``world`` at ``T``."""
    op = merge(world, load_asset(path), T=T)
    op.label = f"import {Path(path).name}"
    return op


# ====================================================================== blockout (layout) editing
@register
class LayoutEdit(Operation):
    """Replace ``world.layout`` (a blockout edit); the first edit records the layout the current
    layers were generated from under ``world.extras["blockout_base"]`` for :func:`regenerate`."""

    kind = "layout_edit"

    def __init__(self, new_layout: Layout, *, label: str = "edit blockout") -> None:
        self.new = new_layout.to_dict()
        self.label = label
        self._old: dict | None = None
        self._had_base = True

    @property
    def description(self) -> str:
        return self.label

    def apply(self, world: World) -> None:
        if world.layout is None:
            raise InputError("this world has no blockout layout to edit")
        self._old = world.layout.to_dict()
        self._had_base = BLOCKOUT_BASE_KEY in world.extras
        if not self._had_base:
            world.extras[BLOCKOUT_BASE_KEY] = self._old
        world.layout = Layout.from_dict(self.new)

    def undo(self, world: World) -> None:
        world.layout = Layout.from_dict(self._old)
        if not self._had_base:
            world.extras.pop(BLOCKOUT_BASE_KEY, None)

    def to_state(self, tensors: dict, prefix: str) -> dict:
        return {"new": self.new, "label": self.label, "old": self._old, "had_base": self._had_base}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "LayoutEdit":
        op = cls(Layout.from_dict(doc["new"]), label=doc["label"])
        op._old, op._had_base = doc["old"], bool(doc["had_base"])
        return op


def _layout_of(world: World) -> Layout:
    if world.layout is None:
        raise InputError("this world has no blockout layout to edit (it was not generated from one)")
    return Layout.from_dict(world.layout.to_dict())


def _size3(size, name: str = "size") -> tuple[float, float, float]:
    s = [float(x) for x in size]
    if len(s) != 3 or not all(math.isfinite(x) and 0 < x <= 1000 for x in s):
        raise InputError(f"`{name}` must be 3 positive sizes in metres (<= 1000), got {list(size)}")
    return (s[0], s[1], s[2])


def _pos3(position, name: str = "position") -> tuple[float, float, float]:
    p = [float(x) for x in position]
    if len(p) != 3 or not all(math.isfinite(x) and abs(x) <= 1e5 for x in p):
        raise InputError(f"`{name}` must be 3 finite coordinates in metres, got {list(position)}")
    return (p[0], p[1], p[2])


def add_object(world: World, label: str, position, size=None, *, yaw_deg: float = 0.0, name: str | None = None,
               material: str | None = None, color=None) -> LayoutEdit:
    """Add a labelled box to the blockout (defaults for size, material and colour from the vocabulary)."""
    from marble.vocab import OBJECTS

    label = str(label).strip().lower()
    if not label:
        raise InputError("`label` of the new object must not be empty")
    layout = _layout_of(world)
    cat = OBJECTS.get(label)
    if size is None:
        if cat is None:
            raise InputError(f"give a `size` for {label!r} (it is not a known category)")
        size = tuple((a + b) / 2 for a, b in zip(cat.size_min, cat.size_max))
    names = {o.name for o in layout.objects} | set(world.layer_names)
    if name is None:
        i = 1
        while f"{label}_{i}" in names:
            i += 1
        name = f"{label}_{i}"
    elif name in names:
        raise InputError(f"an object or layer named {name!r} already exists: choose another `name`")
    if not math.isfinite(float(yaw_deg)):
        raise InputError(f"`yaw_deg` must be finite, got {yaw_deg}")
    obj = LayoutObject(
        name=name, label=label, position=_pos3(position), size=_size3(size), yaw=math.radians(float(yaw_deg)),
        material=material or (cat.material if cat else "plaster"),
        color=tuple(float(c) for c in (color if color is not None else (cat.color if cat else (0.6, 0.6, 0.6)))),
        variant=len(layout.objects),
    )
    layout.objects.append(obj)
    return LayoutEdit(layout, label=f"add {name}")


def _edit_object(world: World, name: str, description: str, **changes) -> LayoutEdit:
    layout = _layout_of(world)
    try:
        obj = layout.object(name)
    except KeyError:
        raise InputError(
            f"no blockout object named {name!r}; objects are: {', '.join(o.name for o in layout.objects) or '(none)'}"
        ) from None
    for k, v in changes.items():
        setattr(obj, k, v)
    return LayoutEdit(layout, label=description)


def move_object(world: World, name: str, *, position=None, yaw_deg: float | None = None) -> LayoutEdit:
    """Move (and/or turn) a blockout object."""
    changes = {}
    if position is not None:
        changes["position"] = _pos3(position)
    if yaw_deg is not None:
        if not math.isfinite(float(yaw_deg)):
            raise InputError(f"`yaw_deg` must be finite, got {yaw_deg}")
        changes["yaw"] = math.radians(float(yaw_deg))
    if not changes:
        raise InputError("give a new `position` or `yaw_deg`")
    return _edit_object(world, name, f"move {name}", **changes)


def resize_object(world: World, name: str, size) -> LayoutEdit:
    """Resize a blockout object's box (metres)."""
    return _edit_object(world, name, f"resize {name}", size=_size3(size))


def relabel_object(world: World, name: str, label: str) -> LayoutEdit:
    """Change what a blockout box is (e.g. ``"table"`` -> ``"desk"``)."""
    label = str(label).strip().lower()
    if not label:
        raise InputError("`label` must not be empty")
    return _edit_object(world, name, f"relabel {name} -> {label}", label=label)


def delete_object(world: World, name: str) -> LayoutEdit:
    """Remove a box from the blockout (its layer goes on the next :func:`regenerate`)."""
    layout = _layout_of(world)
    if name not in {o.name for o in layout.objects}:
        raise InputError(f"no blockout object named {name!r}")
    layout.objects = [o for o in layout.objects if o.name != name]
    return LayoutEdit(layout, label=f"delete {name}")


def changed_objects(world: World) -> tuple[set[str], set[str], bool]:
    """What the blockout edits changed since the layers were generated.

    Returns:
        ``(changed_or_added, removed, environment_changed)``: object names.
    """
    cur = _layout_of(world)
    base = Layout.from_dict(world.extras.get(BLOCKOUT_BASE_KEY) or cur.to_dict())
    b = {o.name: asdict(o) for o in base.objects}
    c = {o.name: asdict(o) for o in cur.objects}
    changed = {n for n, d in c.items() if b.get(n) != d}
    return changed, set(b) - set(c), asdict(base.environment) != asdict(cur.environment)


@register
class ReplaceLayers(Operation):
    """Swap a set of layers for another and set a new layer order (used by :func:`regenerate`)."""

    kind = "replace_layers"

    def __init__(self, *, removed: list[Layer], added: list[Layer], order_before: list[str], order_after: list[str],
                 base_before: dict | None, base_after: dict | None, label: str = "regenerate") -> None:
        self.removed, self.added = removed, added
        self.order_before, self.order_after = order_before, order_after
        self.base_before, self.base_after = base_before, base_after
        self.label = label

    @property
    def description(self) -> str:
        return f"{self.label} ({len(self.added)} layers rebuilt)"

    def _swap(self, world: World, out: list[Layer], inn: list[Layer], order: list[str], base: dict | None) -> None:
        for x in out:
            world.remove_layer(x.name)
        for x in inn:
            world.add_layer(x)
        _set_order(world, order)
        if base is None:
            world.extras.pop(BLOCKOUT_BASE_KEY, None)
        else:
            world.extras[BLOCKOUT_BASE_KEY] = base

    def apply(self, world: World) -> None:
        missing = [x.name for x in self.removed if x.name not in world]
        if missing:
            raise InputError(f"layers {missing} are gone: regenerate again")
        self._swap(world, self.removed, self.added, self.order_after, self.base_after)

    def undo(self, world: World) -> None:
        self._swap(world, self.added, self.removed, self.order_before, self.base_before)

    def nbytes(self) -> int:
        return sum(_layer_nbytes(x) for x in self.removed) + sum(_layer_nbytes(x) for x in self.added)

    def to_state(self, tensors: dict, prefix: str) -> dict:
        return {
            "removed": [_pack_layer(x, tensors, f"{prefix}r{i}/") for i, x in enumerate(self.removed)],
            "added": [_pack_layer(x, tensors, f"{prefix}a{i}/") for i, x in enumerate(self.added)],
            "order_before": self.order_before, "order_after": self.order_after,
            "base_before": self.base_before, "base_after": self.base_after, "label": self.label,
        }

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "ReplaceLayers":
        return cls(
            removed=[_unpack_layer(d, tensors, f"{prefix}r{i}/") for i, d in enumerate(doc["removed"])],
            added=[_unpack_layer(d, tensors, f"{prefix}a{i}/") for i, d in enumerate(doc["added"])],
            order_before=list(doc["order_before"]), order_after=list(doc["order_after"]),
            base_before=doc["base_before"], base_after=doc["base_after"], label=doc["label"],
        )


def plan_regenerate(world: World, fresh: World) -> ReplaceLayers:
    """Merge a world freshly generated from ``world.layout`` into ``world``, keeping untouched layers.

    Layers of blockout objects that were not edited (and the ground/sky/walls, unless the
    environment changed) keep their current data, including any splat edits; edited or added
    objects take the fresh layers; deleted objects' layers go; layers the user made (imports,
    separations, duplicates) stay.
    """
    changed, removed_objs, env_changed = changed_objects(world)
    cur_objs = {o.name for o in world.layout.objects}
    base = world.extras.get(BLOCKOUT_BASE_KEY) or world.layout.to_dict()
    layout_names = cur_objs | removed_objs | {o["name"] for o in base.get("objects", [])}
    fresh_names = set(fresh.layer_names)
    order_after: list[str] = []
    removed: list[Layer] = []
    added: list[Layer] = []
    for layer in fresh.layers:
        old = world.layer(layer.name) if layer.name in world else None
        is_object = layer.name in layout_names
        keep_old = old is not None and (
            (is_object and layer.name not in changed) or (not is_object and not env_changed)
        )
        if keep_old:
            order_after.append(old.name)
        else:
            if old is not None:
                removed.append(old)
            added.append(layer)
            order_after.append(layer.name)
    for old in world.layers:
        if old.name in fresh_names:
            continue
        if old.name in layout_names:
            removed.append(old)  # its object was deleted or no longer produces a layer
        else:
            order_after.append(old.name)  # a user layer: keep it
    return ReplaceLayers(
        removed=removed, added=added, order_before=world.layer_names, order_after=order_after,
        base_before=world.extras.get(BLOCKOUT_BASE_KEY), base_after=world.layout.to_dict(),
    )


def regenerate(world: World, *, seed: int | None = None, preset: str = "draft", progress=None, **options) -> ReplaceLayers:
    """Generate a world from the edited ``world.layout`` and plan the merge (apply it with a History).

    Args:
        seed: generation seed (default: the seed the world was made with, else 0).
        preset: quality preset of the regenerated layers.
        **options: passed to :func:`pipelines.generate_world` (``device=``, ``models=``...).
    """
    from pipelines import generate_world  # lazy: marble never imports pipelines at module level

    _layout_of(world)
    if seed is None:
        seed = int(world.provenance.seed or 0)
    fresh = generate_world(None, layout=Layout.from_dict(world.layout.to_dict()), seed=seed, preset=preset,
                           progress=progress, **options)
    return plan_regenerate(world, fresh)
