"""ImageToWorld on the embedded components (geometric depth, classical inpainting), end to end."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from marble.errors import InputError
from marble.presets import get_preset
from marble.world import World
from pipelines.image_to_world import ImageToWorldPipeline, trajectory_cameras
from pipelines.lift.geometric_depth import camera_from_horizon

TINY = get_preset("draft", view_width=64, view_height=48, voxel_size=0.1, sky_splats=300)


@pytest.fixture(scope="module")
def photo(synthetic_photo) -> np.ndarray:
    return synthetic_photo


@pytest.fixture(scope="module")
def ring_output(photo):
    return ImageToWorldPipeline()(photo, preset=TINY, seed=3, trajectory="ring")


def test_ring_world_is_valid_and_consistent(ring_output, tmp_path):
    out = ring_output
    world = out.world
    assert len(out.views) >= 8  # enough ring views for neighbours to overlap
    assert "ground" in world.layer_names and any(layer.label == "sky" for layer in world.layers)
    assert world.num_splats > 1000
    lo, hi = world.bounds()
    g = world.gaussians(layers=["ground"])
    assert abs(float(g.means[:, 1].median())) < 0.05  # the ground plane is at y = 0, metres
    assert world.provenance.stages["depth"] == "geometric"
    assert world.provenance.stages["inpaint"] == "telea+rows"
    assert out.metrics["reprojection_rel_depth"] < 0.02
    assert out.metrics["reprojection_psnr_db"] > 25
    assert 0.2 < out.metrics["mean_coverage"] < 0.9
    assert world.cameras[0].name == "" and world.cameras[1].name == "ring_001"
    p = world.save(tmp_path / "w.marble")
    assert World.load(p).equal(world)


def test_deterministic(photo, ring_output):
    again = ImageToWorldPipeline()(photo, preset=TINY, seed=3, trajectory="ring")
    assert again.world.equal(ring_output.world)


def test_walk_from_file(photo, tmp_path):
    path = tmp_path / "photo.jpg"
    Image.fromarray((photo * 255).astype(np.uint8)).save(path, quality=95)
    out = ImageToWorldPipeline()(path, preset=TINY, trajectory="walk", num_views=3, walk_distance=1.5, meshes=False)
    assert len(out.views) == 3
    z = [float(v.camera.position[2]) for v in out.views]
    assert z[0] < z[1] < z[2] and abs(z[2] - z[0] - 1.5) < 1e-6
    assert out.world.provenance.inputs["image"] == "photo.jpg"
    assert out.metrics["mean_coverage"] > 0.6  # walking forward mostly re-sees the photo


def test_trajectories():
    cam = camera_from_horizon(width=32, height=24, horizon_row=10)
    ring = trajectory_cameras(cam, kind="ring", num_views=4)
    assert len(ring) == 3
    fwd = [c.T_world_camera[:3, 2].numpy() for c in [cam] + ring]
    assert np.allclose(fwd[2], [-fwd[0][0], fwd[0][1], -fwd[0][2]], atol=1e-9)  # half a turn, same pitch
    assert trajectory_cameras(cam, kind="none", num_views=5) == []


@pytest.mark.parametrize("kwargs, match", [
    ({"trajectory": "spiral"}, "trajectory"),
    ({"num_views": 0}, "num_views"),
    ({"camera_height": -1.0}, "camera_height"),
    ({"seed": -1}, "seed"),
    ({"depth_hint": float("nan")}, "depth_hint"),
])
def test_bad_options(photo, kwargs, match):
    with pytest.raises(InputError, match=match):
        ImageToWorldPipeline()(photo, preset=TINY, **kwargs)


def test_corrupt_image(tmp_path):
    p = tmp_path / "broken.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(InputError, match="broken.png"):
        ImageToWorldPipeline()(p, preset=TINY)


def test_refinement_on_request(photo):
    import pipelines.refine  # noqa: F401  (refinement must exist: no skip)
    preset = get_preset(TINY, refine_steps=2)
    out = ImageToWorldPipeline()(photo, preset=preset, trajectory="walk", num_views=2, meshes=False, refine_steps=2)
    assert out.world.provenance.stages["refine"].startswith("photometric:2 steps")
    assert "refine" in out.timings
