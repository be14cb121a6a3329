"""render_world (sky, layers, highlight) and raycast_meshes (mesh previews with the same Camera)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh

from marble.camera import Camera
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.render import raycast_meshes, render, render_world
from marble.world import Layer, World


def box_world() -> World:
    box = trimesh.creation.box((1.0, 1.0, 1.0))
    box.visual.vertex_colors = np.tile(np.array([[200, 60, 40, 255]], np.uint8), (len(box.vertices), 1))
    pts, _ = trimesh.sample.sample_surface_even(box, 1500, seed=0)
    g = Gaussians.from_points(torch.tensor(pts, dtype=torch.float32),
                              torch.tensor([[0.78, 0.24, 0.16]]).expand(len(pts), 3), scales=0.035, opacity=0.98)
    ball = trimesh.creation.icosphere(subdivisions=2, radius=0.3)
    ball.apply_translation([1.5, 0.0, 0.0])
    bp, _ = trimesh.sample.sample_surface_even(ball, 400, seed=1)
    gb = Gaussians.from_points(torch.tensor(bp, dtype=torch.float32), torch.tensor([[0.1, 0.3, 0.9]]).expand(len(bp), 3),
                               scales=0.03)
    return World([Layer("box", gaussians=g, mesh=box), Layer("ball", gaussians=gb, mesh=ball)])


CAM = Camera.look_at((1.2, 1.4, 3.2), (0.4, 0.0, 0.0), width=64, height=48, fov_y_deg=55)


def test_render_world_composites_sky_behind_splats():
    w = box_world()
    from marble.sky import sky_pixels

    out = render_world(w, [CAM])
    d = CAM.ray_directions().numpy()
    sky = torch.from_numpy(sky_pixels(w.environment, d))
    empty = out.alphas[0, ..., 0] < 1e-6
    assert empty.any() and (~empty).any()
    assert torch.allclose(out.colors[0][empty], sky[empty], atol=1e-5)
    # above the horizon that is the environment's sky; below it a haze, not a flat ground colour
    up = torch.from_numpy(d[..., 1] > 0.05) & empty
    assert torch.allclose(sky[up], torch.from_numpy(w.environment.sky_color(d))[up], atol=1e-5)
    black = render_world(w, [CAM], sky=False)
    assert torch.allclose(black.colors[0][empty], torch.zeros(3))
    # where splats are opaque the sky does not show
    solid = out.alphas[0, ..., 0] > 0.999
    assert torch.allclose(out.colors[0][solid], black.colors[0][solid], atol=2e-3)


def test_an_environment_sky_dome_gives_way_to_the_exact_sky():
    """A dome made from the environment alone blurs the horizon and the sun: with a sky to draw,
    render_world draws that sky instead; without one (sky=False) the dome is all there is."""
    from marble.sky import ENVIRONMENT_SKY_KEY, sky_pixels
    from pipelines.fusion.sky import sky_dome

    w = box_world()
    dome = sky_dome([], count=300, centre=np.zeros(3), radius=50.0, environment=w.environment, seed=0)
    w.add_layer(Layer("sky", gaussians=dome, meta={ENVIRONMENT_SKY_KEY: True}))
    cam = Camera.look_at((0.0, 1.0, 6.0), (0.0, 8.0, 0.0), width=48, height=32, fov_y_deg=60)
    exact = torch.from_numpy(sky_pixels(w.environment, cam.ray_directions().numpy()))
    drawn = render_world(w, [cam])
    assert drawn.alphas[0].max() < 1e-3  # nothing but sky in view, and the dome left out
    assert torch.allclose(drawn.colors[0], exact, atol=1e-5)
    assert render_world(w, [cam], sky=False).alphas[0].min() > 0.9  # the dome, for lack of a sky
    w.layer("sky").meta.clear()  # a dome from photos or views is the world's own sky: drawn
    assert render_world(w, [cam]).alphas[0].min() > 0.9


def test_render_world_layers_hidden_and_highlight():
    w = box_world()
    only_box = render_world(w, [CAM], layers=["box"], sky=False)
    both = render_world(w, [CAM], sky=False)
    assert both.alphas.sum() > only_box.alphas.sum()
    w.layer("ball").visible = False
    hidden = render_world(w, [CAM], sky=False)
    assert torch.allclose(hidden.colors, only_box.colors)
    w.layer("ball").visible = True
    tinted = render_world(w, [CAM], sky=False, highlight={"ball": (0.0, 1.0, 0.0)})
    # the ball's pixels get greener, the box's pixels stay the same
    ball_px = (both.alphas[0, ..., 0] > 0.9) & (only_box.alphas[0, ..., 0] < 1e-3)
    box_px = only_box.alphas[0, ..., 0] > 0.99
    assert (tinted.colors[0][ball_px][:, 1] > both.colors[0][ball_px][:, 1] + 0.2).all()
    assert torch.allclose(tinted.colors[0][box_px], both.colors[0][box_px], atol=1e-2)
    mask = torch.zeros(w.num_splats, dtype=torch.bool)
    mask[:10] = True
    render_world(w, [CAM], highlight=mask)
    with pytest.raises(InputError, match="`highlight`"):
        render_world(w, [CAM], highlight=torch.zeros(3, dtype=torch.bool))
    with pytest.raises(InputError, match="no layer named"):
        render_world(w, [CAM], highlight=["nope"])


def test_render_world_rejects_empty_world():
    with pytest.raises(ValueError, match="`world`"):
        render_world(World(), [CAM])


def test_raycast_meshes_matches_splat_silhouette_and_depth():
    w = box_world()
    hit = raycast_meshes(w, CAM)
    assert hit["rgb"].shape == (48, 64, 3) and hit["ids"].shape == (48, 64)
    assert set(hit["names"]) == {"box", "ball"}
    splats = render(w.gaussians(), [CAM])
    a = splats.alphas[0, ..., 0].numpy() > 0.5
    m = hit["ids"] >= 0
    iou = (a & m).sum() / (a | m).sum()
    assert iou > 0.6, iou  # splats reach ~1 px beyond the surface they sample at this size
    assert (m & ~a).sum() <= 0.02 * m.sum()  # every mesh pixel is covered by splats
    both = a & m & (splats.alphas[0, ..., 0].numpy() > 0.95)
    d_splat = splats.surface_depth()[0].numpy()[both]
    assert np.median(np.abs(d_splat - hit["depth"][both])) < 0.05
    box_id = hit["names"].index("box")
    box_rgb = hit["rgb"][hit["ids"] == box_id]
    assert (box_rgb[:, 0] > box_rgb[:, 2]).all()  # vertex colours reach the preview
    assert np.isinf(hit["depth"][~m]).all()


def test_raycast_meshes_bad_input():
    with pytest.raises(InputError, match="`meshes`"):
        raycast_meshes({}, CAM)
    with pytest.raises(InputError, match="`meshes"):
        raycast_meshes({"a": "not a mesh"}, CAM)
    with pytest.raises(InputError, match="`camera`"):
        raycast_meshes({"a": trimesh.creation.box()}, "cam")


def test_a_highlight_mask_counts_the_sky_dome_that_is_left_out():
    """The editor's selection mask covers every visible layer's splats; the environment's sky dome,
    left out when the sky is drawn, must not shift it (it raised a shape error)."""
    from marble.sky import ENVIRONMENT_SKY_KEY
    from pipelines.fusion.sky import sky_dome

    w = box_world()
    dome = sky_dome([], count=300, centre=np.zeros(3), radius=50.0, environment=w.environment, seed=0)
    w.add_layer(Layer("sky", gaussians=dome, meta={ENVIRONMENT_SKY_KEY: True}))
    n_box = w.layer("box").num_splats
    mask = torch.zeros(w.num_splats, dtype=torch.bool)
    mask[:n_box] = True  # the box selected
    plain = render_world(w, [CAM])
    lit = render_world(w, [CAM], highlight=mask)
    assert not torch.allclose(lit.colors, plain.colors)
    with pytest.raises(InputError, match="highlight"):
        render_world(w, [CAM], highlight=mask[:-5])
