"""Small seeded sample worlds for tests, benchmarks and docs (no generation pipeline needed)."""

from __future__ import annotations

import numpy as np
import torch
import trimesh

from marble.gaussians import Gaussians, rgb_to_sh0


def random_gaussians(n: int, *, seed: int = 0, sh_degree: int = 0, extent: float = 2.0) -> Gaussians:
    """``n`` random splats in a cube of half-size ``extent`` (random rotations, scales, opacities)."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(-extent, extent, (n, 3)).astype(np.float32)
    q = rng.normal(size=(n, 4)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    k = (sh_degree + 1) ** 2 - 1
    return Gaussians(
        means=torch.from_numpy(means),
        quats=torch.from_numpy(q),
        log_scales=torch.from_numpy(np.log(rng.uniform(0.005, 0.05, (n, 3))).astype(np.float32)),
        opacity_logits=torch.from_numpy(rng.uniform(-2.0, 4.0, n).astype(np.float32)),
        sh0=rgb_to_sh0(torch.from_numpy(rng.uniform(0.05, 0.95, (n, 3)).astype(np.float32))),
        shN=torch.from_numpy(rng.normal(0, 0.15, (n, k, 3)).astype(np.float32)) if k else None,
    ).validate()


def surface_gaussians(n: int, *, seed: int = 0, size: float = 8.0) -> Gaussians:
    """``n`` splats covering a ground plane and a few walls, like a fused world (smooth colours,
    flat oriented disks, mostly opaque): the data compressors are designed for."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    u, v = np.meshgrid(np.linspace(-size / 2, size / 2, side), np.linspace(-size / 2, size / 2, side))
    pts = np.stack([u.ravel(), np.zeros(side * side), v.ravel()], axis=1)[:n]
    pts[:, 1] = 0.15 * np.sin(pts[:, 0]) * np.cos(pts[:, 2] * 0.7)
    pts += rng.normal(0, 0.005, pts.shape)
    col = np.stack([0.35 + 0.1 * np.sin(pts[:, 0]), 0.5 + 0.1 * np.cos(pts[:, 2]), 0.3 + 0.05 * pts[:, 1]], axis=1)
    col += rng.normal(0, 0.01, col.shape)
    step = size / side
    scales = np.tile([step * 0.6, step * 0.05, step * 0.6], (n, 1)) * rng.uniform(0.9, 1.1, (n, 1))
    q = np.tile([1.0, 0.0, 0.0, 0.0], (n, 1)) + rng.normal(0, 0.02, (n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    g = Gaussians.from_points(
        torch.from_numpy(pts.astype(np.float32)), torch.from_numpy(np.clip(col, 0, 1).astype(np.float32)),
        scales=torch.from_numpy(scales.astype(np.float32)), quats=torch.from_numpy(q.astype(np.float32)),
        opacity=torch.from_numpy(rng.uniform(0.85, 0.99, n).astype(np.float32)),
    )
    return g


def colored_box(size=(1.0, 1.0, 1.0), *, seed: int = 0, subdivisions: int = 0) -> trimesh.Trimesh:
    """A box mesh with per-vertex colours (optionally subdivided for more triangles)."""
    rng = np.random.default_rng(seed)
    m = trimesh.creation.box(size)
    for _ in range(subdivisions):
        m = m.subdivide()
    c = np.empty((len(m.vertices), 4), np.uint8)
    c[:, :3] = np.clip(64 + (m.vertices - m.vertices.min(0)) / np.ptp(m.vertices, 0).clip(1e-6) * 160
                       + rng.integers(0, 20, (len(m.vertices), 3)), 0, 255).astype(np.uint8)
    c[:, 3] = 255
    m.visual = trimesh.visual.ColorVisuals(m, vertex_colors=c)
    return m


def sample_world(*, n_splats: int = 2000, sh_degree: int = 1, seed: int = 0, subdivisions: int = 1):
    """A world with a splat layer, a vertex-coloured box layer (moved by its layer transform) and a
    hidden layer that exports must skip."""
    from marble.world import Layer, World

    T = torch.eye(4, dtype=torch.float64)
    T[:3, 3] = torch.tensor([1.0, 0.5, -2.0], dtype=torch.float64)
    return World([
        Layer("splats", label="foliage", gaussians=random_gaussians(n_splats, seed=seed, sh_degree=sh_degree)),
        Layer("crate", label="crate", mesh=colored_box(seed=seed, subdivisions=subdivisions), transform=T),
        Layer("hidden", gaussians=random_gaussians(10, seed=seed + 1), visible=False),
    ])
