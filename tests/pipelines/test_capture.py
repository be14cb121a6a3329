"""Captures: photos of a procedural world with known cameras -> structure from motion -> fitted world.

One synthetic capture (12 photos at 480x360 over a 120 degree arc, rendered by Marble's own view
renderer) is reconstructed once per module; the tests check registration, camera errors against
the true cameras after a similarity alignment, gravity and scale, the fitted world, and the
refusals of bad captures. The full-size measure is ``scripts/bench_capture.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from marble.errors import InputError


@pytest.fixture(scope="module")
def capture(synthetic_capture):
    return synthetic_capture


@pytest.fixture(scope="module")
def result(capture):
    from pipelines.capture.pipeline import CaptureToWorldPipeline

    stages = []
    out = CaptureToWorldPipeline()(capture.paths, preset="draft", refine_steps=8, camera_height=1.7, splats=12_000,
                                   fit_side=128,
                                   progress=lambda s, f, m="": stages.append((s, f, m)))
    out.stages = stages
    return out


def test_every_photo_registers_with_subdegree_rotation_error(capture, result):
    from pipelines.capture.score import registered_cameras_error

    m = result.metrics
    assert m["registered"] >= 0.9 * m["photos"] and m["photos"] == 12
    assert 0 < m["reprojection_error_px"] < 1.0
    truth = {c.name: c for c in capture.cameras}
    err = registered_cameras_error(result.world.cameras, [truth[c.name] for c in result.world.cameras])
    assert err["rotation_deg_max"] < 1.0
    assert err["position_rel_mean"] < 0.02
    # The world keeps one camera per registered photo, named after it, at the photo's size.
    assert [c.name for c in result.world.cameras] == result.sfm.registered
    assert all((c.width, c.height) == (480, 360) for c in result.world.cameras)


def test_world_is_upright_metric_and_centred(capture, result):
    from pipelines.capture.score import registered_cameras_error

    truth = {c.name: c for c in capture.cameras}
    err = registered_cameras_error(result.world.cameras, [truth[c.name] for c in result.world.cameras])
    # The similarity onto the true (+Y up, metric) cameras is a turn about +Y at scale ~1.
    assert err["R"][1, 1] > math.cos(math.radians(2.0))
    assert 0.85 < err["scale"] < 1.15
    heights = [c.position[1].item() for c in result.world.cameras]
    assert abs(float(np.median(heights)) - 1.7) < 0.01  # the given camera height
    lo, hi = result.world.bounds(include_environment=False)
    centre = (np.asarray(lo) + np.asarray(hi)) / 2
    assert abs(centre[0]) < 0.5 * (hi[0] - lo[0]) and abs(centre[2]) < 0.5 * (hi[2] - lo[2])


def test_progress_names_every_stage_and_fitting_improves(result):
    stages = {s for s, _, _ in result.stages}
    assert {"photos", "features", "matching", "mapping", "fitting"} <= stages
    m = result.metrics
    assert m["fit_psnr_after_db"] > m["fit_psnr_before_db"]
    assert result.world.provenance.stages["sfm"].startswith("colmap-incremental")
    assert result.world.num_splats > 1000


def test_heldout_views_are_covered(capture, result):
    from pipelines.capture.score import heldout_figures, registered_cameras_error

    truth = {c.name: c for c in capture.cameras}
    err = registered_cameras_error(result.world.cameras, [truth[c.name] for c in result.world.cameras])
    fig = heldout_figures(result.world, capture.truth, capture.heldout, err)
    # A short CPU fit: far from the benchmark's figure, but the held-out views must show the place.
    assert fig["psnr_mean_db"] > 15.0
    assert fig["holes_mean"] < 0.15


def test_photos_that_do_not_overlap_register_nothing(tmp_path):
    from pipelines.capture.pipeline import CaptureToWorldPipeline

    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)).save(tmp_path / f"noise_{i}.png")
    with pytest.raises(InputError, match="could be placed|do not overlap"):
        CaptureToWorldPipeline()(tmp_path, preset="draft", refine_steps=0)


def test_bad_photo_sets_are_refused(tmp_path, monkeypatch):
    from pipelines.capture.photos import (
        CapturePhoto,
        check_photo_set,
        list_photo_files,
        load_photos,
    )

    a = tmp_path / "a.png"
    Image.new("RGB", (64, 48), "red").save(a)
    with pytest.raises(InputError, match="more than once"):
        list_photo_files([a, tmp_path / "." / "a.png"])
    with pytest.raises(InputError, match="at least 2"):
        list_photo_files([a])
    (tmp_path / "b.png").write_bytes(a.read_bytes())
    with pytest.raises(InputError, match="same image"):
        load_photos(tmp_path, max_side=640)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="holds no photos"):
        list_photo_files(empty)
    monkeypatch.setenv("MARBLE_MAX_CAPTURE_PHOTOS", "2")
    Image.new("RGB", (64, 48), "blue").save(tmp_path / "c.png")
    with pytest.raises(InputError, match="more than the 2"):
        list_photo_files(tmp_path)
    rgb = np.random.default_rng(1).random((48, 64, 3), dtype=np.float32)
    mixed = check_photo_set([CapturePhoto("x.png", rgb, (64, 48)), CapturePhoto("y.png", rgb[:40], (64, 40))])
    assert any("different sizes" in w for w in mixed.warnings)


def test_gravity_from_tilted_cameras():
    """Cameras rolled as a whole by 30 degrees: up is found from their right axes, pitch or not."""
    import torch

    from marble.camera import Camera
    from marble.geometry import axis_angle_matrix
    from pipelines.capture.align import gravity_up

    cams = [Camera.look_at((3 * math.sin(a), 1.6, 3 * math.cos(a)), (0, 0, 0)) for a in np.linspace(0, 1.5, 6)]
    tilt = axis_angle_matrix((1.0, 0.0, 0.3), 30.0).to(torch.float64)
    true_up = tilt @ torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    for c in cams:
        T = c.T_world_camera.clone()
        T[:3, :] = tilt @ T[:3, :]
        c.T_world_camera = T
    up, method = gravity_up(cams)
    assert method == "right-axes"
    assert float(np.dot(up, true_up.numpy())) > math.cos(math.radians(0.5))


def test_video_frames_sampled_by_sharpness_and_registered(capture, tmp_path):
    """An orbit video: each photo followed by a motion-blurred copy; the sharp frames are the ones kept."""
    import imageio.v2 as imageio
    from scipy.ndimage import uniform_filter1d

    from marble.api import generate
    from pipelines.capture.video import sample_video_frames

    path = tmp_path / "orbit.mp4"
    with imageio.get_writer(path, fps=8, codec="libx264", quality=9, macro_block_size=8) as w:
        for p in capture.paths:
            rgb = np.asarray(Image.open(p))
            blurred = uniform_filter1d(rgb.astype(np.float32), size=15, axis=1).astype(np.uint8)
            w.append_data(blurred)  # window: blurred first, sharp second
            w.append_data(rgb)
    frames = sample_video_frames(path, max_frames=12, max_side=480)
    assert len(frames.photos) == 12
    assert all(i % 2 == 1 for i in frames.indices), frames.indices
    # The whole route, as `marble generate --video orbit.mp4 --max-frames 12` runs it.
    world = generate(video=path, max_frames=12, preset="draft", refine_steps=0)
    assert world.provenance.metrics["registered"] >= 11
    assert world.provenance.inputs["video"] == "orbit.mp4"
    assert world.provenance.inputs["frame_indices"] == frames.indices
    assert all(c.name.startswith("frame_") for c in world.cameras)


def test_bad_videos_are_refused(tmp_path):
    from pipelines.capture.video import check_max_frames, sample_video_frames

    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        sample_video_frames(empty, max_frames=8, max_side=320)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    with pytest.raises(InputError, match="cannot be read|corrupt|readable frame"):
        sample_video_frames(junk, max_frames=8, max_side=320)
    with pytest.raises(InputError, match="max_frames"):
        check_max_frames(100_000)


def test_same_photos_same_cameras(capture):
    """Seeded RANSAC and single-threaded mapping: structure from motion repeats bit for bit."""
    from pipelines.capture.photos import load_photos
    from pipelines.capture.sfm import run_sfm

    photos = load_photos(capture.paths[:5], max_side=480).photos
    a, b = run_sfm(photos, seed=3), run_sfm(photos, seed=3)
    assert a.registered == b.registered and len(a.registered) >= 4
    assert all(ca.T_world_camera.equal(cb.T_world_camera) for ca, cb in zip(a.cameras, b.cameras))
    assert np.array_equal(a.points, b.points)
