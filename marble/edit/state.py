"""Shared plumbing of the edit operations: row gathers/scatters, transform checks, layer order,
and packing layers, splats and selections into a saved history (``marble.edit.history``)."""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import Tensor

from marble.bundle import mesh_from_tensors, mesh_to_tensors
from marble.edit.history import tensor_nbytes
from marble.edit.selection import Selection
from marble.errors import FormatError, InputError
from marble.gaussians import Gaussians
from marble.geometry import decompose_similarity
from marble.world import Layer, World

EYE = torch.eye(4, dtype=torch.float64)
"""The identity ``[4, 4]`` float64 transform."""


def clone_selection(selection: Selection) -> Selection:
    """A CPU copy of ``selection`` (operations keep their own masks)."""
    return {k: v.detach().to("cpu", torch.bool).clone() for k, v in selection.items()}


def set_layer_order(world: World, order: list[str]) -> None:
    """Reorder ``world``'s layers to ``order`` (the same set of names)."""
    if world.layer_names == order:
        return
    layers = {layer.name: layer for layer in world.layers}
    for name in list(world.layer_names):
        world.remove_layer(name)
    for name in order:
        world.add_layer(layers[name])


def check_transform(T) -> Tensor:
    """Validate a ``[4, 4]`` similarity transform; return a float64 copy.

    Raises:
        InputError: not 4x4, NaN/Inf, a last row other than (0, 0, 0, 1), a non-uniform scale or a reflection.
    """
    T = torch.as_tensor(T, dtype=torch.float64)
    if T.shape != (4, 4):
        raise InputError(f"transform `T` must be a 4x4 matrix, got shape {tuple(T.shape)}")
    if not torch.isfinite(T).all():
        raise InputError("transform `T` contains NaN or Inf: check the offset, angle and scale you entered")
    if (T[3] - torch.tensor([0, 0, 0, 1], dtype=torch.float64)).abs().max() > 1e-9:
        raise InputError("transform `T` must have a last row of (0, 0, 0, 1)")
    decompose_similarity(T)  # rotation x uniform scale, no reflection
    return T.clone()


def nonzero_idx(mask: Tensor, *, invert: bool = False) -> Tensor:
    """``[M]`` int64 indices of the ``True`` (``False`` with ``invert``) entries of a bool mask ``[N]``.

    Uses numpy on CPU, about ten times faster than ``Tensor.nonzero`` on millions of entries.
    """
    if mask.device.type == "cpu":
        m = mask.numpy()
        return torch.from_numpy(np.flatnonzero(~m if invert else m).astype(np.int64, copy=False))
    return (~mask if invert else mask).nonzero().squeeze(1)


def take_rows(g: Gaussians, idx: Tensor) -> Gaussians:
    """Rows ``idx`` (``[M]`` int64) of every field (numpy ``take`` on CPU, ``index_select`` elsewhere)."""
    out = {}
    for k, t in g.tensors().items():
        if t.device.type == "cpu":
            out[k] = torch.from_numpy(np.take(t.detach().numpy(), idx.numpy(), axis=0))
        else:
            out[k] = t.index_select(0, idx.to(t.device))
    return Gaussians(**out)


def scatter_rows(kept: Gaussians, removed: Gaussians, mask: Tensor) -> Gaussians:
    """Interleave ``kept`` (where ``mask`` is False) and ``removed`` (where True) back into one set."""
    out = {}
    k, r = kept.tensors(), removed.tensors()
    if (kept.shN is None) != (removed.shN is None):
        raise FormatError("edit history: deleted splats and kept splats disagree on SH bands")
    mask = mask.to(kept.device)
    rm_idx, keep_idx = nonzero_idx(mask), nonzero_idx(mask, invert=True)
    for name, t in k.items():
        full = torch.empty((mask.shape[0],) + tuple(t.shape[1:]), dtype=t.dtype, device=t.device)
        if t.device.type == "cpu":
            fa = full.numpy()
            fa[rm_idx.numpy()] = r[name].numpy()
            fa[keep_idx.numpy()] = t.numpy()
        else:
            full.index_copy_(0, rm_idx, r[name])
            full.index_copy_(0, keep_idx, t)
        out[name] = full
    return Gaussians(**out)


def replace_rows(g: Gaussians, idx: Tensor, **fields: Tensor) -> Gaussians:
    """A new set equal to ``g`` except the rows ``idx`` of the given fields (out of place)."""
    parts = g.tensors()
    for name, rows in fields.items():
        parts[name] = parts[name].index_put((idx,), rows.to(parts[name].dtype))
    return Gaussians(**parts)


def pack_gaussians(g: Gaussians, tensors: dict, prefix: str) -> None:
    """Store every field of ``g`` in ``tensors`` under ``prefix + name``."""
    for k, t in g.tensors().items():
        tensors[prefix + k] = t.detach().cpu()


def unpack_gaussians(tensors: dict, prefix: str) -> Gaussians:
    """Rebuild a :class:`Gaussians` stored by :func:`pack_gaussians`."""
    parts = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix) and "/" not in k[len(prefix):]}
    if "means" not in parts:
        raise KeyError(prefix + "means")
    return Gaussians(**parts)


def pack_layer(layer: Layer, tensors: dict, prefix: str) -> dict:
    """Store a whole layer (splats, mesh, transform) in ``tensors``; return its JSON description."""
    doc = {"name": layer.name, "label": layer.label, "visible": layer.visible, "meta": layer.meta,
           "gaussians": layer.gaussians is not None, "mesh": None}
    tensors[prefix + "transform"] = layer.transform
    if layer.gaussians is not None:
        pack_gaussians(layer.gaussians, tensors, prefix + "g/")
    if layer.mesh is not None:
        doc["mesh"] = mesh_to_tensors(layer.mesh, tensors, prefix + "m/")
    return doc


def unpack_layer(doc: dict, tensors: dict, prefix: str) -> Layer:
    """Rebuild a layer stored by :func:`pack_layer`."""
    return Layer(
        doc["name"], label=doc["label"], visible=doc["visible"], meta=doc["meta"],
        gaussians=unpack_gaussians(tensors, prefix + "g/") if doc["gaussians"] else None,
        mesh=None if doc["mesh"] is None else mesh_from_tensors(doc["mesh"], tensors, prefix + "m/"),
        transform=tensors[prefix + "transform"],
    )


def layer_nbytes(layer: Layer) -> int:
    """Approximate bytes held by a layer's splats and mesh arrays."""
    n = 0
    if layer.gaussians is not None:
        n += tensor_nbytes(*layer.gaussians.tensors().values())
    if layer.mesh is not None:
        n += int(np.asarray(layer.mesh.vertices).nbytes + np.asarray(layer.mesh.faces).nbytes)
    return n


def pack_selection(sel: Selection, tensors: dict, prefix: str) -> list[str]:
    """Store the masks of ``sel`` in ``tensors``; return the layer names in order."""
    names = list(sel)
    for i, name in enumerate(names):
        tensors[f"{prefix}sel{i}"] = sel[name]
    return names


def unpack_selection(names: list[str], tensors: dict, prefix: str) -> Selection:
    """Rebuild a selection stored by :func:`pack_selection`."""
    return {name: tensors[f"{prefix}sel{i}"].to(torch.bool) for i, name in enumerate(names)}


def selection_nbytes(sel: Selection) -> int:
    """Bytes held by a selection's masks."""
    return tensor_nbytes(*sel.values())


def summarize(sel: Selection) -> str:
    """The first few layer names of a selection, for history descriptions."""
    names = list(sel)
    text = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
    return text or "nothing"


# ---------------------------------------------------------------------- edit notes (survive regeneration)
APPEARANCE_KEY = "appearance"
"""``layer.meta`` key: whole-layer colour/opacity edits, replayed on a regenerated object layer."""
PARTIAL_KEY = "partial_edits"
"""``layer.meta`` key: how many edits touched only some of the layer's splats (lost on regeneration)."""


def note_edits(world: World, selection: Selection, entry: dict | None = None) -> dict[str, list]:
    """Record an edit on the layers it touches; returns what to hand :func:`restore_notes` on undo.

    Layers selected whole get ``entry`` appended to ``meta["appearance"]`` (when given); partially
    selected ones count one more ``meta["partial_edits"]``.
    """
    from marble.edit.selection import is_whole, mask_any

    old: dict[str, list] = {}
    for name, mask in selection.items():
        layer = world.layer(name)
        whole = is_whole(world, selection, name)
        if whole and entry is None:
            continue
        if not whole and not (mask.numel() and mask_any(mask)):
            continue
        meta = dict(layer.meta) if layer.meta is not None else {}
        old[name] = [copy.deepcopy(meta.get(APPEARANCE_KEY)), meta.get(PARTIAL_KEY)]
        if whole:
            meta[APPEARANCE_KEY] = [*(meta.get(APPEARANCE_KEY) or []), dict(entry)]
        else:
            meta[PARTIAL_KEY] = int(meta.get(PARTIAL_KEY) or 0) + 1
        layer.meta = meta
    return old


def restore_notes(world: World, old: dict[str, list]) -> None:
    """Undo :func:`note_edits` (layers that are gone are skipped)."""
    for name, (appearance, partial) in old.items():
        if name not in world:
            continue
        layer = world.layer(name)
        meta = dict(layer.meta or {})
        for key, value in ((APPEARANCE_KEY, appearance), (PARTIAL_KEY, partial)):
            if value is None:
                meta.pop(key, None)
            else:
                meta[key] = copy.deepcopy(value)
        layer.meta = meta
