"""Deleting splats and layers: Delete, crop (keep only) and statistical floater removal."""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import torch

from marble.edit.history import Operation, register, tensor_nbytes
from marble.edit.selection import Selection, check_selection, is_whole, world_points
from marble.edit.state import (
    clone_selection,
    layer_nbytes,
    nonzero_idx,
    note_edits,
    pack_gaussians,
    pack_layer,
    pack_selection,
    restore_notes,
    scatter_rows,
    selection_nbytes,
    set_layer_order,
    summarize,
    take_rows,
    unpack_gaussians,
    unpack_layer,
    unpack_selection,
)
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.world import Layer, World


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
        self._notes: dict[str, list] = {}

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
        self._notes = note_edits(world, {n: self.selection[n] for n in removed_splats})

    def undo(self, world: World) -> None:
        restore_notes(world, self._notes)
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
            "notes": self._notes,
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
        op._notes = doc.get("notes") or {}
        return op


def crop(world: World, selection: Selection) -> Delete:
    """Keep only the selection: a :class:`Delete` of everything else in the visible layers."""
    from marble.edit.selection import invert, is_empty

    check_selection(world, selection)
    rest = invert(world, selection)
    if is_empty(rest):
        raise InputError("keep-only would delete nothing: the selection already holds everything visible")
    return Delete(rest)


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
