"""What the browser viewport draws: a JSON manifest of the world and compact per-layer buffers.

The viewport (``web/viewport.js``) fetches :func:`manifest` whenever the world changes, then
only the layer buffers whose ``key`` it has not seen (a move changes a layer's transform, not
its buffers). Splats travel in the 32-byte ``.splat`` layout that three.js splat renderers read
(position ``float32 x3``, scale ``float32 x3``, RGBA ``uint8 x4``, rotation ``uint8 x4`` as
``wxyz * 128 + 128``), in the layer's LOCAL frame, with the layer transform in the manifest.
Meshes travel as a small binary: a header, ``float32 [V, 3]`` positions, ``uint8 [V, 4]`` colours
and ``uint32 [F, 3]`` faces.
"""

from __future__ import annotations

import math
import struct

import numpy as np
import torch

from marble.render.fog import Fog, is_live
from marble.world import Layer, World

SPLAT_BYTES = 32
"""Bytes per splat in :func:`splat_bytes`."""
MESH_MAGIC = b"MMSH"


def splat_bytes(layer: Layer) -> bytes:
    """The layer's splats (local frame) as ``[N, 32]`` bytes of the ``.splat`` layout.

    Colour is the DC band only (view-dependent bands are left out of the editing viewport).
    """
    g = layer.gaussians
    if g is None or g.num_splats == 0:
        return b""
    n = g.num_splats
    out = np.empty((n, SPLAT_BYTES), dtype=np.uint8)
    f = out.view(np.float32)  # [N, 8]
    f[:, 0:3] = g.means.detach().cpu().numpy()
    f[:, 3:6] = np.exp(g.log_scales.detach().cpu().numpy())
    rgb = g.colors.detach().cpu().numpy()  # [N, 3], 0.5 + C0 * sh0
    alpha = torch.sigmoid(g.opacity_logits.detach().cpu()).numpy()
    out[:, 24:27] = np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)
    out[:, 27] = np.clip(np.round(alpha * 255.0), 0, 255).astype(np.uint8)
    q = g.quats.detach().cpu().numpy().astype(np.float64)
    q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    out[:, 28:32] = np.clip(np.round(q * 128.0 + 128.0), 0, 255).astype(np.uint8)
    return out.tobytes()


def mesh_bytes(layer: Layer) -> bytes:
    """The layer's mesh (local frame) as ``MMSH | V uint32 | F uint32 | pos f32[V,3] | rgba u8[V,4] | faces u32[F,3]``."""
    mesh = layer.mesh
    if mesh is None or len(mesh.faces) == 0:
        return b""
    v = np.ascontiguousarray(np.asarray(mesh.vertices, dtype=np.float32))
    faces = np.ascontiguousarray(np.asarray(mesh.faces, dtype=np.uint32))
    try:
        colors = np.asarray(mesh.visual.to_color().vertex_colors, dtype=np.uint8)
    except Exception:  # a visual trimesh cannot turn into colours: plain grey
        colors = np.zeros((0, 4), np.uint8)
    if colors.shape != (len(v), 4):
        colors = np.tile(np.array([180, 180, 180, 255], np.uint8), (len(v), 1))
    return MESH_MAGIC + struct.pack("<II", len(v), len(faces)) + v.tobytes() + np.ascontiguousarray(colors).tobytes() + faces.tobytes()


def frame(world: World) -> dict:
    """Where the viewport looks first: the centre and radius of the non-environment content.

    Returns:
        ``{"center": [3], "radius": r, "eye": [3]}``: ``eye`` stands back from the content, above it,
        inside the room for indoor worlds.
    """
    try:
        lo, hi = world.bounds(include_environment=False)
    except Exception:
        lo, hi = world.bounds()
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()) or (hi < lo).any():
        lo, hi = np.array([-1.0, 0.0, -1.0]), np.array([1.0, 1.0, 1.0])
    center = (lo + hi) / 2
    radius = float(max(np.linalg.norm(hi - lo) / 2, 0.5))
    env = world.layout.environment if world.layout is not None else None
    if env is not None and env.indoor and env.room_size:
        w, h, d = (float(x) for x in env.room_size)
        # stand in a corner of the room at eye height, looking at the middle of the furniture
        eye = np.array([w * 0.42, min(h * 0.62, 1.7), d * 0.42])
        center = np.array([center[0], min(center[1], h * 0.35), center[2]])
    else:
        eye = center + np.array([0.0, 0.55, 1.0]) * radius * 1.6
    return {"center": center.round(4).tolist(), "radius": round(radius, 4), "eye": eye.round(4).tolist()}


def layer_entry(layer: Layer, key: str, blockout: set[str]) -> dict:
    """One layer of the manifest (name, label, visibility, transform, buffer sizes, local bounds)."""
    entry = {
        "name": layer.name, "label": layer.label, "visible": bool(layer.visible), "key": key,
        "transform": [round(float(x), 7) for x in layer.transform.T.reshape(-1).tolist()],  # column-major, as three.js
        "splats": int(layer.num_splats), "triangles": int(layer.num_triangles),
        "environment": bool(layer.is_environment), "object": layer.name in blockout,
        "fog": is_live(layer),  # colours without fog: the viewport adds the manifest's fog by distance
    }
    if layer.gaussians is not None and layer.num_splats:
        m = layer.gaussians.means.detach().cpu()
        entry["bounds"] = [m.min(0).values.tolist(), m.max(0).values.tolist()]
    elif layer.mesh is not None and len(layer.mesh.vertices):
        b = np.asarray(layer.mesh.bounds, np.float64)
        entry["bounds"] = [b[0].tolist(), b[1].tolist()]
    return entry


def fog_entry(world: World) -> dict | None:
    """The environment's distance fog for the viewport (``{"density", "color"}``), ``None`` without fog."""
    fog = Fog.of(world.environment)
    if fog is None:
        return None
    return {"density": round(fog.density, 6), "color": [round(c, 4) for c in fog.color]}


def blockout_entries(world: World) -> list[dict]:
    """The layout's boxes for the viewport: ``name, label, position [3], size [3], yaw_deg``."""
    if world.layout is None:
        return []
    return [{"name": o.name, "label": o.label, "position": [round(float(v), 4) for v in o.position],
             "size": [round(float(v), 4) for v in o.size], "yaw_deg": round(math.degrees(o.yaw), 2)}
            for o in world.layout.objects]
