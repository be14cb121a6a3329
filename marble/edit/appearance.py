"""Changing how splats look: Recolor (set, tint, brightness, saturation) and SetOpacity."""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
import trimesh
from torch import Tensor

from marble.bundle import mesh_from_tensors, mesh_to_tensors
from marble.edit.history import Operation, register, tensor_nbytes
from marble.edit.selection import Selection, check_selection, is_whole
from marble.edit.state import (
    clone_selection,
    nonzero_idx,
    note_edits,
    pack_selection,
    replace_rows,
    restore_notes,
    selection_nbytes,
    summarize,
    unpack_selection,
)
from marble.errors import InputError
from marble.gaussians import rgb_to_sh0, sh0_to_rgb
from marble.world import World

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

    Modes: ``set`` (value: RGB in [0, 1]; each splat takes that colour scaled by its own brightness
    relative to the selection's mean, so shading survives; view-dependent bands are cleared), ``tint`` (RGB
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
        self._notes: dict[str, list] = {}

    @property
    def description(self) -> str:
        return f"{describe_color_edit(self.mode, self.value)} ({summarize(self.selection)})"

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
                    if self.const is not None:  # the colour, with the splats' own light and shade kept
                        lum = rgb.clamp(0, 1) @ _LUMA.to(rgb.device)
                        ratio = (lum / lum.mean().clamp_min(1e-4)).clamp(0.0, 2.0)
                        new_rgb = (self.const.to(rgb.device)[None, :] * ratio[:, None]).clamp(0, 1)
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
        self._notes = note_edits(world, self.selection, {"kind": "recolor", "mode": self.mode, "value": self.value})

    def undo(self, world: World) -> None:
        restore_notes(world, self._notes)
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
        meshes = [mesh_to_tensors(m, tensors, f"{prefix}om{i}/") for i, m in enumerate(self._old_meshes.values())]
        return {"selection": pack_selection(self.selection, tensors, prefix), "mode": self.mode, "value": self.value,
                "old_rows": list(self._old_rows), "old_meshes": list(self._old_meshes), "mesh_docs": meshes,
                "notes": self._notes}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "Recolor":
        op = cls(unpack_selection(doc["selection"], tensors, prefix), mode=doc["mode"], value=doc["value"])
        op._old_rows = {n: (tensors[f"{prefix}or{i}/sh0"], tensors.get(f"{prefix}or{i}/shN"))
                        for i, n in enumerate(doc["old_rows"])}
        op._old_meshes = {n: mesh_from_tensors(d, tensors, f"{prefix}om{i}/")
                          for i, (n, d) in enumerate(zip(doc["old_meshes"], doc["mesh_docs"]))}
        op._notes = doc.get("notes") or {}
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
        self._notes: dict[str, list] = {}

    @property
    def description(self) -> str:
        what = f"{self.value:.0%}" if self.mode == "set" else f"x{self.value:.2f}"
        return f"opacity {what} ({summarize(self.selection)})"

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
        self._notes = note_edits(world, self.selection, {"kind": "opacity", "mode": self.mode, "value": self.value})

    def undo(self, world: World) -> None:
        restore_notes(world, self._notes)
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
                "mode": self.mode, "old": list(self._old), "notes": self._notes}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "SetOpacity":
        op = cls(unpack_selection(doc["selection"], tensors, prefix), doc["value"], mode=doc["mode"])
        op._old = {n: tensors[f"{prefix}old{i}"] for i, n in enumerate(doc["old"])}
        op._notes = doc.get("notes") or {}
        return op


def describe_color_edit(mode: str, value) -> str:
    """A short human description of a colour edit: ``set #3366cc``, ``brightness x1.20``."""
    if mode in ("set", "tint"):
        rgb = [min(max(float(x), 0.0), 1.0) for x in value]
        return f"{mode} #" + "".join(f"{int(round(c * 255)):02x}" for c in rgb)
    return f"{mode} x{float(value):.2f}"


def replay_appearance(world: World, name: str, entries: list[dict]) -> None:
    """Apply recorded whole-layer colour/opacity edits (``layer.meta["appearance"]``) to layer ``name``."""
    from marble.edit.selection import select_layers

    for e in entries:
        sel = select_layers(world, name)
        if e.get("kind") == "recolor":
            Recolor(sel, mode=e["mode"], value=e["value"]).apply(world)
        elif e.get("kind") == "opacity" and world.layer(name).num_splats:
            SetOpacity(sel, e["value"], mode=e.get("mode", "set")).apply(world)
