"""Procedural albedo for every material of ``marble.vocab.MATERIALS``, driven by world position.

Patterns (``Material.pattern``) at the material's ``scale`` and ``contrast``, tinted by the given
colour:

- ``noise``: fBm value noise (stone, snow, plaster, dirt); ``speckle``: fine noise plus macro
  patches (grass, leaves, concrete, asphalt, carpet); ``grain``: stretched noise (bark furrows,
  brushed metal); ``ripples``: noisy sine ridges (sand, water); ``weave``: a woven cross pattern
  (fabric); ``planks``: boards with staggered joints and grain (wood); ``bricks``: running bond with
  mortar; ``tiles``: square tiles with grout; ``flat``: a faint mottle (plastic, glass).

3D noise patterns need no projection and are seamless on any surface; structured patterns
(planks, bricks, tiles, weave) use a dominant-axis projection chosen from the normal, so each flat
face gets an undistorted pattern. Everything is a pure function of (material, colour, position,
normal, seed): neighbouring pixels of different views agree.
"""

from __future__ import annotations

import zlib

import numpy as np

from marble.errors import InputError
from marble.vocab import MATERIALS
from pipelines.procedural.noise import fbm3, hash_float, value_noise3

# a fixed rotation: noise lattices sampled off-axis do not show grid-aligned blocks
_ROT = np.array([[0.36, 0.48, -0.8], [-0.8, 0.6, 0.0], [0.48, 0.64, 0.6]], dtype=np.float32)
_MORTAR = np.array([0.72, 0.70, 0.66], dtype=np.float32)
_GROUT = np.array([0.62, 0.62, 0.6], dtype=np.float32)


def _rotate(p: np.ndarray, scale) -> np.ndarray:
    """``p @ _ROT * scale`` written out (numpy's small matmul is slow for [N, 3] x [3, 3])."""
    R = _ROT * np.float32(scale)
    x, y, z = p[:, 0:1], p[:, 1:2], p[:, 2:3]
    return x * R[0] + y * R[1] + z * R[2]


def _plane_uv(points: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dominant-axis projection: ``u`` horizontal-ish, ``v`` up on walls; returns (u, v, axis)."""
    a = np.abs(normals)
    axis = np.argmax(a, axis=1)
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    u = np.where(axis == 0, z, x)
    v = np.where(axis == 1, z, y)
    return u, v, axis


def _pattern(kind: str, p: np.ndarray, n: np.ndarray, s: float, seed: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Modulation ``[N]`` in about [-1, 1], plus optional (mix weight ``[N]``, mix colour ``[3]``)."""
    f32 = np.float32
    inv = f32(1.0 / s)
    if kind == "noise":
        val = (fbm3(p * inv, octaves=3, seed=seed) - f32(0.5)) * f32(2.6)
        return val, None, None
    if kind == "speckle":
        fine = value_noise3(_rotate(p, inv * f32(1.7)), seed=seed) - f32(0.5)
        mid = fbm3(p * (inv * f32(0.25)), octaves=2, seed=seed + 3) - f32(0.5)
        return f32(1.6) * fine + f32(2.0) * mid, None, None
    if kind == "grain":
        q = p * inv
        q = q * np.array([1.0, 0.12, 1.0], dtype=np.float32)  # streaks along +Y (bark furrows, brushed metal)
        val = (fbm3(q, octaves=3, seed=seed) - f32(0.5)) * f32(2.4)
        return val, None, None
    if kind == "ripples":
        warp = fbm3(p * (inv * f32(0.35)), octaves=2, seed=seed)
        phase = (p[:, 0] * f32(0.8) + p[:, 2] * f32(0.6)) * inv * f32(2 * np.pi) + warp * f32(9.0)
        val = np.sin(phase) * f32(0.8) + (value_noise3(p * (inv * f32(3.0)), seed=seed + 1) - f32(0.5)) * f32(0.8)
        return val, None, None
    u, v, axis = _plane_uv(p, n)
    if kind == "weave":
        wu = np.sin(u * inv * f32(np.pi))
        wv = np.sin(v * inv * f32(np.pi))
        folds = fbm3(p * f32(2.5), octaves=2, seed=seed) - f32(0.5)
        return f32(0.6) * wu * wv + f32(1.4) * folds, None, None
    if kind == "planks":
        width = f32(s)
        length = f32(s * 9.0)
        row = np.floor(v / width)
        up = u + hash_float(row, axis, seed=seed) * length
        col = np.floor(up / length)
        tint = (hash_float(row, col, axis, seed=seed + 1) - f32(0.5)) * f32(1.4)
        fu = up / length - col
        fv = v / width - row
        grain = np.sin((fv * f32(7.0) + value_noise3(np.stack([up * f32(1.5), v * inv * f32(4), row], 1), seed=seed)
                        * f32(3.0)) * f32(2 * np.pi)) * f32(0.45)
        seam = ((fv < 0.035) | (fv > 0.965) | (fu < 0.006)).astype(np.float32)
        return tint + grain - seam * f32(2.2), None, None
    if kind == "bricks":
        bl, bh, mw = f32(s), f32(s * 0.34), f32(0.011)
        row = np.floor(v / bh)
        up = u + np.mod(row, 2) * bl * f32(0.5)
        col = np.floor(up / bl)
        fu = (up - col * bl)
        fv = (v - row * bh)
        mortar = ((fu < mw) | (fv < mw)).astype(np.float32)
        tint = (hash_float(row, col, axis, seed=seed) - f32(0.5)) * f32(1.5)
        rough = (value_noise3(p * (inv * f32(8.0)), seed=seed + 2) - f32(0.5)) * f32(0.8)
        return tint + rough, mortar * f32(0.85), _MORTAR
    if kind == "tiles":
        ts, gw = f32(s), f32(0.006)
        cu, cv = np.floor(u / ts), np.floor(v / ts)
        fu, fv = u - cu * ts, v - cv * ts
        grout = ((fu < gw) | (fv < gw)).astype(np.float32)
        tint = (hash_float(cu, cv, axis, seed=seed) - f32(0.5)) * f32(0.8)
        mottle = (fbm3(p * (inv * f32(3.0)), octaves=2, seed=seed) - f32(0.5)) * f32(1.2)
        return tint + mottle, grout * f32(0.9), _GROUT
    # flat
    val = (value_noise3(p * f32(2.0), seed=seed) - f32(0.5)) * f32(1.0)
    return val, None, None


def albedo(material: str, color, points: np.ndarray, normals: np.ndarray, *, seed: int) -> np.ndarray:
    """Procedural base colour of ``material`` at world points.

    Args:
        material: key of ``marble.vocab.MATERIALS``.
        color: RGB in ``[0, 1]`` that tints the pattern (the object's colour).
        points: ``[N, 3]`` WORLD positions, metres.
        normals: ``[N, 3]`` WORLD normals (need not be unit length).
        seed: pattern seed (the layout seed); same inputs give the same colours bit for bit.

    Returns:
        ``[N, 3]`` float32 RGB in ``[0, 1]``.

    Raises:
        InputError: unknown material, or arrays of the wrong shape.
    """
    if material not in MATERIALS:
        raise InputError(f"`material` {material!r} is unknown: use one of {', '.join(MATERIALS)}")
    p = np.asarray(points, dtype=np.float32)
    n = np.asarray(normals, dtype=np.float32)
    if p.ndim != 2 or p.shape[1] != 3:
        raise InputError(f"`points` must have shape [N, 3], got {tuple(p.shape)}")
    if n.shape != p.shape:
        raise InputError(f"`normals` must have shape {tuple(p.shape)} like `points`, got {tuple(n.shape)}")
    col = np.asarray(color, dtype=np.float32).reshape(-1)
    if col.shape != (3,):
        raise InputError(f"`color` must be 3 numbers, got {color!r}")
    col = np.clip(col, 0.0, 1.0)
    if len(p) == 0:
        return np.zeros((0, 3), dtype=np.float32)
    m = MATERIALS[material]
    s = int(seed) % (1 << 31) * 131 + zlib.crc32(material.encode()) % 65521
    out = np.empty((len(p), 3), dtype=np.float32)
    for a in range(0, len(p), _CHUNK):  # cache-sized chunks: ~3x faster than whole-array passes
        out[a:a + _CHUNK] = _shade(m, col, p[a:a + _CHUNK], n[a:a + _CHUNK], s)
    return out


_CHUNK = 65536


def _shade(m, col: np.ndarray, p: np.ndarray, n: np.ndarray, s: int) -> np.ndarray:
    val, w, mix = _pattern(m.pattern, p, n, float(m.scale), s)
    contrast = np.float32(max(m.contrast, 0.03))
    macro = (value_noise3(p * np.float32(0.3), seed=s + 17) - np.float32(0.5)) * np.float32(0.6)
    k = np.float32(1.0) + contrast * np.clip(val, -1.6, 1.6) + contrast * macro
    out = col[None, :] * k[:, None]
    if w is not None:
        out += w[:, None] * (mix[None, :] * (np.float32(0.85) + np.float32(0.15) * k[:, None]) - out)
    return np.clip(out, 0.0, 1.0)
