"""Seeded, vectorised lattice noise in numpy: integer hashing, 2D/3D value noise and fBm.

All functions are pure (no global RNG): the same coordinates and seed give the same values on
every machine. Everything runs in float32 / uint32 so shading millions of points stays cheap.
"""

from __future__ import annotations

import numpy as np

_PX = np.uint32(0x8DA6B343)
_PY = np.uint32(0xD8163841)
_PZ = np.uint32(0xCB1AB31F)
_M1 = np.uint32(0x7FEB352D)
_M2 = np.uint32(0x846CA68B)
_INV = np.float32(1.0 / 4294967296.0)


def _mix(h: np.ndarray) -> np.ndarray:
    """Avalanche a uint32 array (lowbias32 finaliser); returns a new array."""
    h = h ^ (h >> np.uint32(16))
    h *= _M1
    h ^= h >> np.uint32(15)
    h *= _M2
    h ^= h >> np.uint32(16)
    return h


def seed_u32(seed: int, salt: int = 0) -> np.uint32:
    """Fold a Python int seed (any size) and a salt into one uint32."""
    s = (int(seed) * 0x9E3779B1 + int(salt) * 0x85EBCA77 + 0x165667B1) & 0xFFFFFFFF
    return _mix(np.array([s], dtype=np.uint32))[0]


def hash_float(*ints: np.ndarray, seed: int = 0) -> np.ndarray:
    """Uniform floats in ``[0, 1)`` from integer lattice coordinates.

    Args:
        *ints: one to three integer arrays of the same shape (lattice coordinates).
        seed: seed folded into the hash.

    Returns:
        float32 array of the broadcast shape.
    """
    primes = (_PX, _PY, _PZ)
    with np.errstate(over="ignore"):
        h = np.full(np.broadcast(*ints).shape, seed_u32(seed), dtype=np.uint32)
        for p, a in zip(primes, ints):
            h ^= np.asarray(a).astype(np.int64).astype(np.uint32) * p
        return _mix(h).astype(np.float32) * _INV


def _smooth(t: np.ndarray) -> np.ndarray:
    return t * t * (np.float32(3.0) - np.float32(2.0) * t)


def _mix_inplace(h: np.ndarray) -> np.ndarray:
    """:func:`_mix` without temporaries (modifies ``h``)."""
    h ^= h >> np.uint32(16)
    h *= _M1
    h ^= h >> np.uint32(15)
    h *= _M2
    h ^= h >> np.uint32(16)
    return h


def value_noise3(p: np.ndarray, seed: int = 0) -> np.ndarray:
    """Smooth 3D value noise in ``[0, 1]``.

    Args:
        p: ``[N, 3]`` coordinates in lattice units.
        seed: noise seed.

    Returns:
        ``[N]`` float32.
    """
    q = np.asarray(p, dtype=np.float32).T  # [3, N]
    fl = np.floor(q)
    f = q - fl
    i = fl.astype(np.int32).view(np.uint32)
    with np.errstate(over="ignore"):
        s = seed_u32(seed)
        x0 = i[0] * _PX
        y0 = i[1] * _PY
        z0 = i[2] * _PZ
        z1 = z0 + _PZ
        z0 ^= s
        z1 ^= s
        x1 = x0 + _PX
        y1 = y0 + _PY
        xy = (x0 ^ y0, x1 ^ y0, x0 ^ y1, x1 ^ y1)
        u = _smooth(f[0])
        v = _smooth(f[1])
        w = _smooth(f[2])
        out = []
        for z in (z0, z1):
            c = [_mix_inplace(a ^ z).astype(np.float32) for a in xy]
            c[1] -= c[0]
            c[1] *= u
            c[0] += c[1]  # x-lerp at y0
            c[3] -= c[2]
            c[3] *= u
            c[2] += c[3]  # x-lerp at y1
            c[2] -= c[0]
            c[2] *= v
            c[0] += c[2]
            out.append(c[0])
    out[1] -= out[0]
    out[1] *= w
    out[0] += out[1]
    out[0] *= _INV
    return out[0]


def value_noise2(p: np.ndarray, seed: int = 0) -> np.ndarray:
    """Smooth 2D value noise in ``[0, 1]``.

    Args:
        p: ``[N, 2]`` coordinates in lattice units.
        seed: noise seed.

    Returns:
        ``[N]`` float32.
    """
    p = np.asarray(p, dtype=np.float32)
    fl = np.floor(p)
    f = p - fl
    i = fl.astype(np.int64).astype(np.uint32)
    with np.errstate(over="ignore"):
        s = seed_u32(seed)
        x0 = i[:, 0] * _PX
        y0 = i[:, 1] * _PY
        x1 = x0 + _PX
        y1 = y0 + _PY
        c00 = _mix(x0 ^ y0 ^ s).astype(np.float32)
        c10 = _mix(x1 ^ y0 ^ s).astype(np.float32)
        c01 = _mix(x0 ^ y1 ^ s).astype(np.float32)
        c11 = _mix(x1 ^ y1 ^ s).astype(np.float32)
    u = _smooth(f[:, 0])
    v = _smooth(f[:, 1])
    a = c00 + (c10 - c00) * u
    b = c01 + (c11 - c01) * u
    return (a + (b - a) * v) * _INV


def fbm3(p: np.ndarray, *, octaves: int = 3, seed: int = 0, lacunarity: float = 2.03, gain: float = 0.5) -> np.ndarray:
    """Fractal sum of :func:`value_noise3`, normalised to ``[0, 1]``.

    Args:
        p: ``[N, 3]`` coordinates in lattice units of the first octave.
        octaves: number of octaves (>= 1).
        seed: noise seed (each octave gets its own).

    Returns:
        ``[N]`` float32.
    """
    p = np.asarray(p, dtype=np.float32)
    total = np.zeros(p.shape[0], dtype=np.float32)
    amp, norm, freq = 1.0, 0.0, 1.0
    for k in range(max(1, octaves)):
        total += np.float32(amp) * value_noise3(p * np.float32(freq), seed=seed * 7919 + k)
        norm += amp
        amp *= gain
        freq *= lacunarity
    return total / np.float32(norm)


def fbm2(p: np.ndarray, *, octaves: int = 3, seed: int = 0, lacunarity: float = 2.03, gain: float = 0.5) -> np.ndarray:
    """Fractal sum of :func:`value_noise2`, normalised to ``[0, 1]``.

    Args:
        p: ``[N, 2]`` coordinates in lattice units of the first octave.

    Returns:
        ``[N]`` float32.
    """
    p = np.asarray(p, dtype=np.float32)
    total = np.zeros(p.shape[0], dtype=np.float32)
    amp, norm, freq = 1.0, 0.0, 1.0
    for k in range(max(1, octaves)):
        total += np.float32(amp) * value_noise2(p * np.float32(freq), seed=seed * 7919 + k)
        norm += amp
        amp *= gain
        freq *= lacunarity
    return total / np.float32(norm)
