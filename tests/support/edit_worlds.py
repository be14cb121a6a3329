"""Small hand-built worlds shared by the editor tests (a few hundred splats, two meshes)."""

from __future__ import annotations

import math

import numpy as np
import torch
import trimesh

from marble.gaussians import Gaussians
from marble.layout import Layout, LayoutEnvironment, LayoutObject
from marble.world import Layer, World


def splats(n: int, *, center=(0.0, 0.0, 0.0), spread: float = 0.5, seed: int = 0, sh_degree: int = 0) -> Gaussians:
    """``n`` random splats around ``center`` (seeded)."""
    g = torch.Generator().manual_seed(seed)
    pts = torch.tensor(center, dtype=torch.float32) + (torch.rand(n, 3, generator=g) - 0.5) * 2 * spread
    cols = torch.rand(n, 3, generator=g)
    quats = torch.randn(n, 4, generator=g)
    out = Gaussians.from_points(pts, cols, scales=torch.rand(n, generator=g) * 0.05 + 0.01, quats=quats,
                                opacity=torch.rand(n, generator=g) * 0.9 + 0.05)
    if sh_degree:
        k = (sh_degree + 1) ** 2 - 1
        out.shN = torch.randn(n, k, 3, generator=g) * 0.1
    return out


def yaw_transform(yaw_deg: float, t=(0.0, 0.0, 0.0), s: float = 1.0) -> torch.Tensor:
    a = math.radians(yaw_deg)
    T = torch.eye(4, dtype=torch.float64)
    T[:3, :3] = s * torch.tensor([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]],
                                 dtype=torch.float64)
    T[:3, 3] = torch.tensor(t, dtype=torch.float64)
    return T


def small_world(*, sh_degree: int = 0) -> World:
    """ground (splats), chair_1 (splats + box mesh, moved), table_1 (splats, rotated+scaled), rock (mesh only)."""
    w = World()
    w.add_layer(Layer("ground", label="ground", gaussians=splats(300, center=(0, 0, 0), spread=3.0, seed=1,
                                                                    sh_degree=sh_degree)))
    box = trimesh.creation.box(extents=(0.5, 0.8, 0.5))
    box.visual = trimesh.visual.ColorVisuals(vertex_colors=np.tile([200, 100, 50, 255], (len(box.vertices), 1)).astype(np.uint8))
    w.add_layer(Layer("chair_1", label="chair", gaussians=splats(120, spread=0.3, seed=2, sh_degree=sh_degree),
                      mesh=box, transform=yaw_transform(0, t=(1.0, 0.4, 0.0))))
    w.add_layer(Layer("table_1", label="table", gaussians=splats(150, spread=0.4, seed=3, sh_degree=sh_degree),
                      transform=yaw_transform(30, t=(-1.5, 0.5, 1.0), s=1.5)))
    rock = trimesh.creation.icosphere(subdivisions=1, radius=0.2)
    w.add_layer(Layer("rock", label="rock", mesh=rock, transform=yaw_transform(0, t=(0.0, 0.2, -2.0))))
    env = LayoutEnvironment(archetype="park", indoor=False, extent=5.0)
    w.layout = Layout(environment=env, objects=[
        LayoutObject(name="chair_1", label="chair", position=(1.0, 0.0, 0.0), size=(0.5, 0.8, 0.5)),
        LayoutObject(name="table_1", label="table", position=(-1.5, 0.0, 1.0), size=(1.2, 0.75, 0.8)),
    ])
    return w
