"""Refinement raises the re-render PSNR of a perturbed tiny world (CPU, a few dozen steps)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh

from marble.camera import Camera
from marble.color import psnr
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.render import render
from marble.view import View
from marble.world import Layer, World
from pipelines.refine import REPORT_MAX_DB, refine, refine_world, ssim


def box_gaussians(n: int = 300, seed: int = 0) -> Gaussians:
    box = trimesh.creation.box((1.0, 0.8, 0.6))
    pts, face = trimesh.sample.sample_surface(box, n, seed=seed)
    # colour each face pair differently so views carry structure
    palette = np.array([[0.9, 0.2, 0.2], [0.2, 0.8, 0.3], [0.2, 0.3, 0.9], [0.9, 0.8, 0.2], [0.8, 0.3, 0.8], [0.2, 0.8, 0.8]])
    cols = palette[(face // 2) % 6]
    return Gaussians.from_points(torch.tensor(pts, dtype=torch.float32), torch.tensor(cols, dtype=torch.float32),
                                 scales=0.06, opacity=0.9)


def views_of(g: Gaussians, n: int = 4, size: int = 40) -> list[View]:
    views = []
    for i in range(n):
        a = 2 * np.pi * i / n
        cam = Camera.look_at((2.2 * np.sin(a), 1.0, 2.2 * np.cos(a)), (0, 0, 0), width=size, height=size, fov_y_deg=50)
        out = render(g, [cam])
        rgb = out.colors[0].clamp(0, 1).numpy()
        depth = out.surface_depth()[0].numpy()
        views.append(View(camera=cam, rgb=rgb, depth=depth, object_ids=np.zeros((size, size), np.int32)))
    return views


def perturbed(g: Gaussians, seed: int = 1) -> Gaussians:
    gen = torch.Generator().manual_seed(seed)
    p = g.clone()
    p.sh0 = p.sh0 + 0.6 * torch.randn(p.sh0.shape, generator=gen)
    p.means = p.means + 0.02 * torch.randn(p.means.shape, generator=gen)
    p.opacity_logits = p.opacity_logits - 1.0
    return p


def test_refine_raises_psnr_on_cpu():
    gt = box_gaussians()
    views = views_of(gt, n=3, size=32)
    out = refine(perturbed(gt), views, steps=30, lr_scale=5.0, seed=0)
    assert out.strategy == "none"
    assert out.steps == 30 and len(out.losses) == 30
    assert out.psnr_after > out.psnr_before + 1.0, (out.psnr_before, out.psnr_after)
    assert np.mean(out.losses[-8:]) < np.mean(out.losses[:8])
    out.gaussians.validate()


def test_refine_world_writes_layers_back_in_local_frames():
    gt = box_gaussians(150, seed=3)
    views = views_of(gt, n=2, size=24)
    T = torch.eye(4, dtype=torch.float64)
    T[:3, 3] = torch.tensor([0.5, 0.0, -0.25], dtype=torch.float64)
    local = perturbed(gt).transform(torch.linalg.inv(T))
    world = World([Layer("box", gaussians=local, transform=T)])
    world.environment.lighting.sky_top = (0.0, 0.0, 0.0)
    world.environment.lighting.sky_horizon = (0.0, 0.0, 0.0)
    world.environment.ground_color = (0.0, 0.0, 0.0)
    world.environment.lighting.sun_intensity = 0.0
    out = refine_world(world, views, steps=10, lr_scale=5.0)
    assert out.psnr_after > out.psnr_before
    layer = world.layer("box")
    assert layer.num_splats == out.gaussians.num_splats
    # the layer keeps its transform; its splats in world space are the refined ones
    assert torch.allclose(layer.world_gaussians().means, out.gaussians.means, atol=1e-4)
    assert world.provenance.metrics["refine_psnr_after_db"] == round(out.psnr_after, 3)


def test_metrics():
    a = torch.rand(24, 24, 3, generator=torch.Generator().manual_seed(0))
    assert float(ssim(a, a)) == pytest.approx(1.0, abs=1e-5)
    assert psnr(a, a, max_db=REPORT_MAX_DB) == 99.0
    assert float(ssim(a, 1 - a)) < 0.5


def test_refine_bad_input():
    gt = box_gaussians(50)
    views = views_of(gt, n=1, size=16)
    with pytest.raises(InputError, match="`views`"):
        refine(gt, [], steps=1)
    with pytest.raises(InputError, match="`strategy`"):
        refine(gt, views, steps=1, strategy="magic")
    with pytest.raises(InputError, match="`steps`"):
        refine(gt, views, steps=-1)
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="CUDA"):
            refine(gt, views, steps=1, strategy="mcmc")
    with pytest.raises(InputError, match="`gaussians`"):
        refine(Gaussians.empty(), views, steps=1)


@pytest.mark.cuda  # gsplat densification
@pytest.mark.parametrize("strategy", ["default", "mcmc"])
def test_refine_cuda_with_gsplat_strategies(strategy):
    gt = box_gaussians()
    views = views_of(gt, n=4, size=64)
    out = refine(perturbed(gt).to("cuda"), views, steps=200, strategy=strategy, lr_scale=2.0)
    assert out.strategy == strategy
    assert out.psnr_after > out.psnr_before + 1.0
