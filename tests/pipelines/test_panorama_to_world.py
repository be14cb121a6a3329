"""Panorama to world: a procedural world's own 360 panorama, lifted back, seen from its centre and
from a head move away."""

from __future__ import annotations

import numpy as np
import pytest

from marble.errors import InputError


@pytest.fixture(scope="module")
def panorama():
    from marble.api import generate
    from marble.render.panorama import render_panorama
    from marble.render.paths import default_eye

    world = generate("a cabin in a snowy pine forest at sunset", preset="draft", seed=0)
    eye = default_eye(world)
    return render_panorama(world, eye, height=256), float(eye[1])


@pytest.fixture(scope="module")
def lifted(panorama):
    from pipelines.panorama_to_world import PanoramaToWorldPipeline

    pano, height = panorama
    return PanoramaToWorldPipeline()(pano, preset="draft", camera_height=height)


def test_world_from_its_centre_matches_the_panorama(panorama, lifted):
    from marble.color import psnr
    from marble.render.panorama import render_panorama

    pano, height = panorama
    world = lifted.world
    assert world.environment.kind == "panorama" and world.environment.panorama.shape == (256, 512, 3)
    assert "ground" in world.layer_names and "sky" in world.layer_names
    assert sum(name.startswith("dir_") for name in world.layer_names) >= 6
    assert len(world.cameras) == 8
    again = render_panorama(world, np.array([0.0, height, 0.0]), height=256)
    assert psnr(again, pano) > 25.0


def test_head_move_leaves_few_holes_below_the_horizon(lifted):
    from marble.render.world_render import render_world
    from pipelines.panorama_to_world import direction_cameras

    world = lifted.world
    cams = direction_cameras(96, camera_height=lifted.views[0].camera.position[1].item())
    for c in cams:
        T = c.T_world_camera.clone()
        T[:3, 3] += torch_tensor((0.15, 0.0, 0.1))
        c.T_world_camera = T
    out = render_world(world, cams, layers=[n for n in world.layer_names if n != "sky"])
    alpha = out.alphas[..., 0].numpy()
    below = np.stack([c.ray_directions().numpy() for c in cams])[..., 1] < -0.05
    assert float((alpha[below] < 0.5).mean()) < 0.05


def test_same_panorama_same_world(panorama, lifted):
    from pipelines.panorama_to_world import PanoramaToWorldPipeline

    pano, height = panorama
    assert PanoramaToWorldPipeline()(pano, preset="draft", camera_height=height).world.equal(lifted.world)


def test_a_panorama_that_is_not_2_to_1_is_refused():
    from pipelines.panorama_to_world import PanoramaToWorldPipeline

    with pytest.raises(InputError, match="not 2:1"):
        PanoramaToWorldPipeline()(np.zeros((100, 150, 3), np.float32), preset="draft")


def torch_tensor(x):
    import torch

    return torch.tensor(x, dtype=torch.float64)


def test_a_head_sized_move_shows_the_ground_under_the_eye(lifted):
    """0.5 m sideways and 1 m back: the ground below the views' lowest rays is filled (it was a hole)."""
    from pipelines.evaluate import evaluate_world

    assert lifted.metrics["ground_below_splats"] > 0
    rep = evaluate_world(lifted.world, width=128, height=80)
    head = rep.group("head")
    assert head["cameras"] == 8 and head["holes_max"] < 0.05, head
