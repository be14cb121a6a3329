"""Tests for pipelines.views: the camera rig, the open3d ray-cast renderer and the procedural shading.

Scenes are built by hand from trimesh primitives in the SceneGeometry contract of
``pipelines.procedural`` so the analytic answers (depths, ids, normals) are known exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import trimesh

from marble.camera import Camera
from marble.errors import InputError
from marble.layout import Layout, LayoutEnvironment, LayoutObject, Lighting
from marble.presets import get_preset
from pipelines.procedural.types import Part, SceneGeometry
from pipelines.views import (
    CLEARANCE,
    LayoutRenderer,
    camera_rig,
    environment_for,
    render_views,
    sky_pixels,
)
from tests.support.scenes import ALBEDO, make_scene

TINY = get_preset("draft", view_width=64, view_height=40)


def _inside_box(p, obj: LayoutObject, margin: float) -> bool:
    T = obj.T_world_object.numpy()
    local = T[:3, :3].T @ (np.asarray(p) - T[:3, 3])
    sx, sy, sz = obj.size
    return abs(local[0]) < sx / 2 + margin and abs(local[2]) < sz / 2 + margin and -margin < local[1] < sy + margin


# ---------------------------------------------------------------------- rig
def test_outdoor_rig_avoids_objects_and_sees_content():
    layout, geometry = make_scene()
    # put a cabin right on the centre: the ring must move off it
    layout.objects.append(LayoutObject(name="cabin_1", label="cabin", position=(0.0, 0.0, 0.0), size=(4.0, 3.5, 4.0)))
    cabin = trimesh.creation.box(extents=(4.0, 3.5, 4.0))
    cabin.apply_translation((0, 1.75, 0))
    geometry.append(SceneGeometry("cabin_1", "cabin", cabin, np.zeros(12, np.int32), [Part("wood", (0.4, 0.3, 0.2))]))
    cams = camera_rig(layout, preset=TINY, seed=3)
    assert len(cams) == TINY.ring_views + TINY.walk_views
    for cam in cams:
        assert (cam.width, cam.height) == (TINY.view_width, TINY.view_height)
        assert cam.fov_y_deg == pytest.approx(TINY.fov_y_deg)
        for obj in layout.objects:
            assert not _inside_box(cam.position.numpy(), obj, CLEARANCE * 0.99), (cam.name, obj.name)
        assert 1.0 < float(cam.position[1]) < 4.0
    views = render_views(layout, geometry, cams, seed=0, albedo_fn=ALBEDO)
    for v in views:  # every camera sees surfaces, none is blinded by a wall in its face
        hit = np.isfinite(v.depth)
        assert hit.mean() > 0.3, v.camera.name
        assert np.median(v.depth[hit]) > 1.0, v.camera.name
    seen = {n for v in views for n in np.array(v.layer_names)[np.unique(v.object_ids[v.object_ids >= 0])]}
    assert {"ground", "box_1", "cabin_1"} <= seen


def test_rig_is_deterministic_and_seeded():
    layout, _ = make_scene()
    a = camera_rig(layout, preset=TINY, seed=1)
    b = camera_rig(layout, preset=TINY, seed=1)
    c = camera_rig(layout, preset=TINY, seed=2)
    assert all(np.array_equal(x.T_world_camera.numpy(), y.T_world_camera.numpy()) for x, y in zip(a, b))
    assert any(not np.allclose(x.T_world_camera.numpy(), y.T_world_camera.numpy()) for x, y in zip(a, c))


def test_indoor_rig_stays_in_the_room_and_out_of_furniture():
    env = LayoutEnvironment(archetype="bedroom", indoor=True, extent=2.5, room_size=(5.0, 2.7, 5.0))
    objs = [
        LayoutObject(name="wardrobe_1", label="wardrobe", position=(2.1, 0.0, 2.1), size=(0.8, 2.0, 0.8)),
        LayoutObject(name="table_1", label="table", position=(0.0, 0.0, 0.0), size=(1.2, 0.75, 0.8)),
    ]
    layout = Layout(environment=env, objects=objs)
    preset = get_preset("standard", view_width=64, view_height=40)
    cams = camera_rig(layout, preset=preset, seed=0)
    assert len(cams) == preset.ring_views + preset.walk_views
    for cam in cams:
        p = cam.position.numpy()
        assert abs(p[0]) < 2.5 and abs(p[2]) < 2.5 and 0.5 < p[1] < 2.7
        for obj in objs:
            assert not _inside_box(p, obj, CLEARANCE * 0.99), (cam.name, obj.name)
    corners = [c for c in cams if c.name.startswith("corner")]
    assert len(corners) == preset.walk_views
    for c in corners:  # corner cameras look in towards the middle of the room
        fwd = c.T_world_camera[:3, 2].numpy()
        to_mid = -c.position.numpy()
        to_mid[1] = 0
        assert fwd @ to_mid > 0


def test_rig_rejects_unknown_preset():
    layout, _ = make_scene()
    with pytest.raises(InputError, match="preset"):
        camera_rig(layout, preset="ultra", seed=0)


# ---------------------------------------------------------------------- renderer geometry
def test_depth_matches_analytic_plane_and_box():
    layout, geometry = make_scene()
    renderer = LayoutRenderer(geometry, layout, seed=0, albedo_fn=ALBEDO)
    # straight down at the ground from 2 m: every pixel's z-depth is 2 m (ground top at y=0)
    cam = Camera.look_at((0.5, 2.0, 0.5), (0.5, 0.0, 0.5001), width=32, height=24, fov_y_deg=40)
    v = renderer.render(cam)
    assert np.all(np.isfinite(v.depth))
    assert np.abs(v.depth - 2.0).max() < 5e-3
    assert np.allclose(v.normals.reshape(-1, 3), [0, 1, 0], atol=1e-3)
    assert (np.array(v.layer_names)[v.object_ids] == "ground").all()
    # horizontal view at a box face: the centre pixel hits the face nearest the camera
    box = layout.object("box_1")
    T = box.T_world_object.numpy()
    face_centre = T[:3, :3] @ np.array([0, 0.5, -0.5]) + T[:3, 3]
    outward = T[:3, :3] @ np.array([0, 0, -1.0])
    eye = face_centre + 3.0 * outward
    cam = Camera.look_at(eye, face_centre, width=33, height=25, fov_y_deg=20)
    v = renderer.render(cam)
    assert v.layer_names[v.object_ids[12, 16]] == "box_1"
    assert abs(v.depth[12, 16] - 3.0) < 5e-3
    assert np.allclose(v.normals[12, 16], outward, atol=1e-3)
    # a pixel above the box sees the sky
    cam_up = Camera.look_at(eye, face_centre + np.array([0, 5.0, 0]), width=8, height=8, fov_y_deg=10)
    v = renderer.render(cam_up)
    assert (v.object_ids == -1).all() and np.isinf(v.depth).all() and (v.confidence == 0).all()


def test_object_ids_match_projected_objects():
    layout, geometry = make_scene()
    renderer = LayoutRenderer(geometry, layout, seed=0, albedo_fn=ALBEDO)
    centre = np.array([-2.0, 0.8, -3.0])
    cam = Camera.look_at(centre + np.array([0, 0.3, 4.0]), centre, width=48, height=32, fov_y_deg=50)
    v = renderer.render(cam)
    ball = v.layer_names.index("ball_1")
    mask = v.object_ids == ball
    # the ball covers the middle of the image and its hits lie on the sphere surface
    assert mask[16, 24]

    pts = v.camera.unproject(v.depth)[mask]
    assert np.abs(np.linalg.norm(pts - centre, axis=1) - 0.8).max() < 0.02  # icosphere facets
    assert 0.05 < mask.mean() < 0.9


# ---------------------------------------------------------------------- shading
def test_shading_is_deterministic_and_responds_to_the_sun():
    layout, geometry = make_scene()
    cams = camera_rig(layout, preset=TINY, seed=0)[:3]
    a = render_views(layout, geometry, cams, seed=5, albedo_fn=ALBEDO)
    b = render_views(layout, geometry, cams, seed=5, albedo_fn=ALBEDO)
    for x, y in zip(a, b):
        assert np.array_equal(x.rgb, y.rgb) and np.array_equal(x.depth, y.depth)
        assert x.rgb.dtype == np.float32 and x.rgb.min() >= 0 and x.rgb.max() <= 1
    low = Lighting(sun_direction=(0.9, 0.15, 0.0))
    layout_low, _ = make_scene(lighting=low)
    c = render_views(layout_low, geometry, cams, seed=5, albedo_fn=ALBEDO)
    ground = a[0].object_ids == a[0].layer_names.index("ground")
    assert c[0].rgb[ground].mean() < a[0].rgb[ground].mean() - 0.02  # grazing sun lights the ground less


def test_sun_casts_shadows():
    lighting = Lighting(sun_direction=(0.0, 1.0, 1.0))  # sun high in +Z: shadows fall towards -Z
    layout, geometry = make_scene(lighting=lighting)
    renderer = LayoutRenderer(geometry, layout, seed=0, albedo_fn=lambda m, c, p, n, *, seed: np.full((len(p), 3), 0.5, np.float32))
    # look down at the ground just beside the box on its shadow side (-Z) and on its sunny side (+Z)
    box = np.array([3.0, 0.0, 1.0])
    shadow_cam = Camera.look_at(box + [0, 3.0, -0.8], box + [0, 0, -0.8001], width=8, height=8, fov_y_deg=5)
    sunny_cam = Camera.look_at(box + [0, 3.0, 1.0], box + [0, 0, 1.0001], width=8, height=8, fov_y_deg=5)
    sh = renderer.render(shadow_cam)
    lit = renderer.render(sunny_cam)
    assert (np.array(sh.layer_names)[sh.object_ids] == "ground").all()
    assert sh.rgb.mean() < 0.6 * lit.rgb.mean()
    no_shadow = LayoutRenderer(geometry, layout, seed=0, shadows=False,
                               albedo_fn=lambda m, c, p, n, *, seed: np.full((len(p), 3), 0.5, np.float32))
    assert abs(no_shadow.render(shadow_cam).rgb.mean() - lit.rgb.mean()) < 0.02


def test_night_is_dim_and_bluish():
    night = Lighting(sun_direction=(0.3, -0.4, 0.2), sun_intensity=0.0, ambient_color=(0.25, 0.3, 0.5),
                     ambient_intensity=0.25, sky_top=(0.02, 0.03, 0.08), sky_horizon=(0.06, 0.08, 0.16))
    layout_day, geometry = make_scene()
    layout_night, _ = make_scene(lighting=night)
    cams = camera_rig(layout_day, preset=TINY, seed=0)[:2]
    day = render_views(layout_day, geometry, cams, seed=0, albedo_fn=ALBEDO)
    dark = render_views(layout_night, geometry, cams, seed=0, albedo_fn=ALBEDO)
    for d, n in zip(day, dark):
        assert n.rgb.mean() < 0.4 * d.rgb.mean()
        assert n.rgb[..., 2].mean() > n.rgb[..., 0].mean()  # bluish


def test_fog_veils_distant_surfaces():
    foggy = Lighting(fog_density=0.15, fog_color=(0.8, 0.8, 0.8))
    layout, geometry = make_scene(lighting=foggy)
    layout_clear, _ = make_scene()
    cam = Camera.look_at((0, 1.6, 0), (0, 1.2, 10), width=32, height=24, fov_y_deg=60)
    fog_v = LayoutRenderer(geometry, layout, seed=0, albedo_fn=ALBEDO).render(cam)
    clear_v = LayoutRenderer(geometry, layout_clear, seed=0, albedo_fn=ALBEDO).render(cam)
    far = np.isfinite(fog_v.depth) & (fog_v.depth > 8)
    assert far.any()
    grey = np.array([0.8, 0.8, 0.8])
    assert np.abs(fog_v.rgb[far] - grey).mean() < 0.6 * np.abs(clear_v.rgb[far] - grey).mean()


def test_sky_pixels_follow_the_environment():
    layout, geometry = make_scene()
    env = environment_for(layout)
    cam = Camera.look_at((0, 1.6, 0), (0, 30, 10), width=16, height=12, fov_y_deg=30)
    v = LayoutRenderer(geometry, layout, seed=0, albedo_fn=ALBEDO).render(cam)
    assert np.isinf(v.depth).all()
    assert np.allclose(v.rgb, sky_pixels(env, cam.ray_directions().numpy()), atol=1e-5)


# ---------------------------------------------------------------------- bad input
def test_renderer_rejects_bad_geometry():
    layout, geometry = make_scene()
    with pytest.raises(InputError, match="geometry"):
        LayoutRenderer([], layout, seed=0, albedo_fn=ALBEDO)
    g = geometry[1]
    bad = SceneGeometry(g.name, g.label, g.mesh, g.face_part[:-1], g.parts, g.T_world_object)
    with pytest.raises(InputError, match="face_part"):
        LayoutRenderer([geometry[0], bad], layout, seed=0, albedo_fn=ALBEDO)
    bad_T = SceneGeometry(g.name, g.label, g.mesh, g.face_part, g.parts, np.full((4, 4), math.nan))
    with pytest.raises(InputError, match="T_world_object"):
        LayoutRenderer([bad_T], layout, seed=0, albedo_fn=ALBEDO)
    with pytest.raises(InputError, match="cameras"):
        render_views(layout, geometry, [], seed=0, albedo_fn=ALBEDO)


def test_lamps_light_the_night_only():
    from pipelines.views import lamp_lights

    night = Lighting(sun_direction=(0.3, 0.5, 0.2), sun_intensity=0.15, ambient_color=(0.2, 0.25, 0.4),
                     ambient_intensity=0.2, sky_top=(0.02, 0.03, 0.08), sky_horizon=(0.06, 0.08, 0.16))
    layout_day, geometry = make_scene()
    layout_night, _ = make_scene(lighting=night)
    lamp = LayoutObject(name="street_lamp_1", label="street_lamp", position=(0.0, 0.0, 4.0), size=(0.3, 4.0, 0.3))
    assert len(lamp_lights(layout_day)) == 0
    dark_render = LayoutRenderer(geometry, layout_night, seed=0, albedo_fn=ALBEDO)
    layout_night.objects.append(lamp)
    layout_day.objects.append(lamp)
    assert len(lamp_lights(layout_day)) == 0
    lights = lamp_lights(layout_night)
    assert lights.shape == (1, 7) and lights[0, 1] > 3.0
    lit_render = LayoutRenderer(geometry, layout_night, seed=0, albedo_fn=ALBEDO)
    cam = Camera.look_at((0, 3.0, 1.0), (0, 0, 4.0), width=24, height=16, fov_y_deg=30)  # the ground under the lamp
    dark, lit = dark_render.render(cam), lit_render.render(cam)
    assert lit.rgb.mean() > 2 * dark.rgb.mean()
    assert lit.rgb[..., 0].mean() > lit.rgb[..., 2].mean()  # warm lamp light
    assert np.array_equal(lit.depth, dark.depth)


def test_rig_follows_the_ground_mesh_when_given():
    layout, geometry = make_scene()
    raised = [SceneGeometry(g.name, g.label, g.mesh.copy(), g.face_part, g.parts, g.T_world_object) for g in geometry]
    raised[0].mesh.apply_translation((0, 2.0, 0))  # ground plane lifted to y = 2
    cams = camera_rig(layout, preset=TINY, seed=0, geometry=raised)
    ring = [c for c in cams if c.name.startswith("ring_") and not c.name.startswith("ring_hi")]
    for c in ring:
        assert float(c.position[1]) == pytest.approx(2.0 + 1.6, abs=1e-3)


def test_silhouettes_are_antialiased_and_nothing_else_changes():
    from pipelines.views import silhouette_pixels

    depth = np.full((6, 8), np.inf, np.float32)
    depth[2:4, 3:6] = 5.0
    ids = np.where(np.isfinite(depth), 0, -1).astype(np.int32)
    edge = silhouette_pixels(depth, ids)
    assert edge[2:4, 3:6].all() and edge[1, 3] and edge[2, 2] and not edge[0, 0] and not edge[5, 7]
    layout, geometry = make_scene()
    cam = Camera.look_at((3.0, 1.2, -3.0), (3.0, 0.5, 1.0), width=40, height=30, fov_y_deg=40)
    sharp = LayoutRenderer(geometry, layout, seed=0, albedo_fn=ALBEDO, edge_samples=0).render(cam)
    smooth = LayoutRenderer(geometry, layout, seed=0, albedo_fn=ALBEDO).render(cam)
    e = silhouette_pixels(sharp.depth, sharp.object_ids)
    assert e.any() and np.array_equal(sharp.depth, smooth.depth)
    assert np.array_equal(sharp.rgb[~e], smooth.rgb[~e])
    assert np.abs(sharp.rgb[e] - smooth.rgb[e]).max() > 0.02


def test_a_ground_plane_seen_at_a_grazing_angle_has_no_silhouettes():
    """Far ground changes depth by more than 4% a row but evenly (inverse depth is affine on a plane):
    flagging it made fusion shrink those splats into a dotted lattice. Real occlusions, including a
    one-pixel pole, stay silhouettes."""
    from pipelines.views import silhouette_pixels

    H, W, f, h = 60, 40, 50.0, 1.6  # camera 1.6 m above a plane, horizon at row 0
    rows = np.arange(H, dtype=np.float32)[:, None] + 1.0
    depth = np.repeat(h * f / rows, W, axis=1).astype(np.float32)  # 80 m at the top row, 1.3 m at the bottom
    ids = np.zeros((H, W), np.int32)
    assert (np.abs(np.diff(depth, axis=0)) > 0.04 * depth[1:]).sum() >= 20 * W  # the old rule flagged 24 rows
    assert not silhouette_pixels(depth, ids).any()
    depth2 = depth.copy()
    depth2[20:40, 10:20] = 1.0  # a box in front of the ground (3 m there), same layer id
    depth2[5:50, 30] = 1.2  # a one-pixel pole
    e = silhouette_pixels(depth2, ids)
    assert e[25, 9] and e[25, 10] and e[25, 19] and e[25, 20]  # both sides of the box's left and right edges
    assert e[25, 29] and e[25, 30] and e[25, 31]
    assert not e[45, 5] and not e[10, 15]  # plain ground away from them
