"""The ground at a photo's feet (pipelines.lift.ground_fill): filled where unseen, from the seen ground."""

from __future__ import annotations

import math

import numpy as np
import torch

from pipelines.fusion.splats import flat_splats
from pipelines.lift.ground_fill import fill_ground_below, with_ground_below


def _ring_ground(inner: float, outer: float = 8.0, spacing: float = 0.1, centre=(0.0, 0.0), y: float = 0.0):
    """Flat ground splats on an annulus; red on the +x half, blue on the -x half."""
    g = np.arange(-outer, outer + 1e-9, spacing)
    x, z = np.meshgrid(g, g, indexing="ij")
    xz = np.stack([x.ravel(), z.ravel()], 1)
    r = np.hypot(xz[:, 0], xz[:, 1])
    xz = xz[(r >= inner) & (r <= outer)]
    n = len(xz)
    means = np.stack([xz[:, 0] + centre[0], np.full(n, y), xz[:, 1] + centre[1]], 1)
    rgb = np.where(xz[:, :1] > 0, [[0.9, 0.1, 0.1]], [[0.1, 0.1, 0.9]])
    up = np.tile([0.0, 1.0, 0.0], (n, 1))
    t = np.tile([1.0, 0.0, 0.0], (n, 1))
    return flat_splats(means, up, t, np.full(n, 0.07), np.full(n, 0.07), rgb)


def test_the_unseen_disc_is_filled_at_the_ground_height_with_the_seen_colours():
    ground = _ring_ground(2.4, centre=(3.0, -1.0), y=0.25)
    extra, stats = fill_ground_below(ground, (3.0, -1.0))
    assert extra is not None and stats["added"] > 0
    assert 2.3 < stats["radius_m"] < 2.8  # the inner edge of the seen ground (its 8th splat per 5 degrees)
    m = extra.means.numpy()
    r = np.hypot(m[:, 0] - 3.0, m[:, 2] + 1.0)
    # the disc is covered: every point within 2.2 m has a new splat within one spacing
    probe = np.stack(np.meshgrid(np.linspace(-2.2, 2.2, 23), np.linspace(-2.2, 2.2, 23)), -1).reshape(-1, 2)
    probe = probe[np.hypot(probe[:, 0], probe[:, 1]) < 2.2] + [3.0, -1.0]
    d = np.min(np.linalg.norm(probe[:, None] - m[None, :, [0, 2]], axis=-1), axis=1)
    assert d.max() <= stats["spacing_m"] * 1.01
    assert np.allclose(m[:, 1], 0.25, atol=1e-5)
    assert r.max() < 2.4 + 3 * stats["spacing_m"]
    # colours come from the seen ground in the same direction (red to +x, blue to -x)
    rgb = extra.colors.numpy()
    east, west = m[:, 0] > 3.5, m[:, 0] < 2.5
    assert rgb[east, 0].mean() > 0.8 and rgb[west, 2].mean() > 0.8
    # as opaque as the seen ground
    assert torch.allclose(extra.opacities.max(), ground.opacities.max())


def test_nothing_is_added_where_the_ground_is_seen_and_the_budget_holds():
    full = _ring_ground(0.0)
    extra, stats = fill_ground_below(full, (0.0, 0.0))
    assert extra is None or stats["added"] < 10
    ring = _ring_ground(2.4)
    small, stats = fill_ground_below(ring, (0.0, 0.0), max_splats=300)
    assert small is not None and small.num_splats <= 300 * 1.3
    assert stats["spacing_m"] > 0.1  # coarser to fit
    cap = ring.num_splats + full.num_splats
    layers, st = with_ground_below({"ground": ring, "tree": full}, (0.0, 0.0), max_total=cap)  # no room left
    assert layers["ground"] is ring and st["added"] == 0
    layers, st = with_ground_below({"ground": ring}, (0.0, 0.0), max_total=ring.num_splats + 10_000)
    assert layers["ground"].num_splats == ring.num_splats + st["added"] and 0 < st["added"] <= 10_000
    assert with_ground_below({"tree": full}, (0.0, 0.0), max_total=10 ** 7)[1]["added"] == 0


def test_a_photo_world_has_ground_under_the_camera():
    import marble
    from pipelines.evaluate import evaluate_world

    rng = np.random.default_rng(0)
    h, w = 160, 256
    img = np.zeros((h, w, 3), np.float32)
    img[: h // 2] = [0.55, 0.7, 0.95]  # sky
    img[h // 2:] = [0.3, 0.55, 0.2]  # grass
    img[h // 2:] += rng.normal(0, 0.04, (h - h // 2, w, 1)).astype(np.float32)
    world = marble.generate(None, image=np.clip(img, 0, 1), seed=0, preset="draft")
    ground = world.layers[[layer.name for layer in world.layers].index("ground")].world_gaussians()
    c = world.cameras[0].position.numpy()
    r = np.hypot(ground.means[:, 0].numpy() - c[0], ground.means[:, 2].numpy() - c[2])
    assert r.min() < 0.3  # splats right under the camera
    assert world.provenance.metrics["fusion"]["ground_below_splats"] > 0
    rep = evaluate_world(world, width=128, height=80)
    assert rep.group("head")["holes_max"] < 0.05
    assert math.isfinite(rep.group("head")["holes_mean"])
