"""Moving, turning and scaling selections (Transform) and the edits that make layers from them (Duplicate, Separate)."""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import Tensor

from marble.edit.delete import Delete
from marble.edit.history import Operation, register, tensor_nbytes
from marble.edit.selection import Selection, check_selection, is_whole, world_points
from marble.edit.state import (
    EYE,
    check_transform,
    clone_selection,
    nonzero_idx,
    note_edits,
    pack_selection,
    replace_rows,
    restore_notes,
    selection_nbytes,
    summarize,
    take_rows,
    unpack_selection,
)
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.geometry import axis_angle_matrix
from marble.world import Layer, World


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
        self._notes: dict[str, list] = {}

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
        self._notes = note_edits(world, {n: self.selection[n] for n in old_rows})

    def undo(self, world: World) -> None:
        restore_notes(world, self._notes)
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
                "old_transforms": list(self._old_transforms), "old_rows": list(self._old_rows), "notes": self._notes}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "Transform":
        op = cls(unpack_selection(doc["selection"], tensors, prefix), tensors[prefix + "T"], label=doc["label"])
        op._old_transforms = {n: tensors[f"{prefix}ot{i}"] for i, n in enumerate(doc["old_transforms"])}
        op._old_rows = {
            n: tuple(tensors[f"{prefix}or{i}/{k}"] for k in ("means", "quats", "log_scales"))
            for i, n in enumerate(doc["old_rows"])
        }
        op._notes = doc.get("notes") or {}
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
    return Transform(selection, T, label="move " + ", ".join(f"{a} {v:+.2f}" for a, v in zip("xyz", off.tolist()) if abs(v) > 5e-4)
                     if bool((off.abs() > 5e-4).any()) else "move 0 m")


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
