"""Explorable worlds: coverage from any reachable viewpoint, the far field, the sky dome, `marble eval`."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from marble.camera import Camera
from marble.errors import InputError


@pytest.fixture(scope="module")
def street_world():
    import marble

    return marble.generate("a city street with houses and cars", seed=1, preset="draft")


@pytest.fixture(scope="module")
def room_world():
    import marble

    return marble.generate("a living room with a sofa and a table", seed=2, preset="draft")


def test_heldout_cameras_stand_free_on_the_walkable_ground(street_world):
    from pipelines.evaluate import heldout_cameras
    from pipelines.procedural import terrain_height
    from pipelines.views.walkable import walkable_region

    layout = street_world.layout
    cams = heldout_cameras(layout, eye=6, aerial=3, seed=4)
    region = walkable_region(layout)
    eye = [c for c in cams if c.name.startswith("eye")]
    aerial = [c for c in cams if c.name.startswith("aerial")]
    assert len(eye) == 6 and len(aerial) == 3
    for c in eye:
        p = c.position.numpy()
        assert region.contains(p[:1], p[2:]).all()
        ground = float(terrain_height(layout, p[:1], p[2:])[0])
        assert abs(p[1] - ground - 1.6) < 1e-6
        for o in layout.objects:  # outside every object's box
            d = p - np.asarray(o.position)
            ca, sa = math.cos(o.yaw), math.sin(o.yaw)
            lx, lz = ca * d[0] - sa * d[2], sa * d[0] + ca * d[2]
            assert abs(lx) > o.size[0] / 2 or abs(lz) > o.size[2] / 2 or d[1] > o.size[1], (c.name, o.name)
    for c in aerial:
        fwd = c.T_world_camera[:3, 2].numpy()
        assert math.isclose(math.degrees(math.asin(-fwd[1])), 45.0, abs_tol=1e-6)
        assert c.position[1] > 9.0
    # the draw depends on the seed, never on the generation cameras
    again = heldout_cameras(layout, eye=6, aerial=3, seed=4)
    assert all(torch.equal(a.T_world_camera, b.T_world_camera) for a, b in zip(cams, again))
    other = heldout_cameras(layout, eye=6, aerial=3, seed=5)
    assert not torch.equal(cams[0].T_world_camera, other[0].T_world_camera)


def test_street_world_has_no_holes_at_heldout_cameras(street_world):
    from pipelines.evaluate import evaluate_world

    rep = evaluate_world(street_world, eye=4, aerial=2, width=96, height=64, seed=3)
    s = rep.summary()
    assert rep.ground_truth
    assert s["eye"]["cameras"] == 4 and s["aerial"]["cameras"] == 2
    # draft: 120k splats for a street of buildings and a far field to the horizon (standard meets
    # the 1% / 2% targets; scripts/bench_explore.py); main's rig-only fusion left 30%+ here
    assert s["eye"]["holes_mean"] <= 0.05, s
    assert s["aerial"]["holes_mean"] <= 0.02, s
    assert 15.0 < s["eye"]["psnr_mean"] < 99.0
    assert json.loads(json.dumps(rep.to_dict()))["per_camera"][0]["name"] == "eye_000"


def test_evaluation_sees_holes_when_a_layer_is_gone(street_world):
    """The hole count is real: hiding the ground opens the floor of every view."""
    from pipelines.evaluate import evaluate_world

    w = street_world.copy()
    w.layer("ground").visible = False
    rep = evaluate_world(w, eye=2, aerial=1, width=64, height=40, seed=3)
    assert rep.group("eye")["holes_mean"] > 0.2
    assert rep.group("aerial")["holes_mean"] > 0.2


def test_backs_undersides_and_ceiling_are_covered(room_world):
    """Surfaces no generation camera faces carry splats: every object seen from behind and below the
    furniture, the ceiling from anywhere in the room."""
    from marble.render import render

    g = room_world.gaussians(layers=[l.name for l in room_world.layers if l.label != "sky"])
    W, H, D = room_world.layout.environment.room_size
    for eye, target in (([0.0, 0.3, 0.0], [W / 2, 0.0, -D / 2]), ([0.0, 1.6, 0.0], [0.3, H, 0.2]),
                        ([W / 2 - 0.35, 1.2, D / 2 - 0.8], [-W / 2, 0.5, -D / 2])):
        cam = Camera.look_at(eye, target, width=64, height=48, fov_y_deg=70)
        alpha = render(g, [cam]).alphas[0, ..., 0]
        assert float((alpha < 0.5).float().mean()) < 0.01, (eye, target)


def test_surface_splats_stay_within_the_cap_and_cull_buried_faces():
    from marble.presets import get_preset
    from marble.text import parse_prompt
    from pipelines.fusion.surface import surface_splats
    from pipelines.procedural import build_scene_geometry, synthesize_layout

    p = get_preset("draft")
    layout = synthesize_layout(parse_prompt("a village with houses"), seed=0, preset=p)
    geo = build_scene_geometry(layout, detail=0)
    g, st = surface_splats(geo, layout, budget=30_000, min_spacing=p.voxel_size, seed=0)
    assert sum(x.num_splats for x in g.values()) <= 30_000
    assert st["buried"] > 0  # e.g. the ground under the houses
    house = next(o for o in layout.objects if o.label == "house")
    pts = g["ground"].means.numpy()
    c, s = math.cos(house.yaw), math.sin(house.yaw)
    d = pts - np.asarray(house.position)
    lx, lz = c * d[:, 0] - s * d[:, 2], s * d[:, 0] + c * d[:, 2]
    under = (np.abs(lx) < house.size[0] * 0.3) & (np.abs(lz) < house.size[2] * 0.3)
    E = layout.environment.extent
    inside = (np.abs(pts[:, 0]) < E) & (np.abs(pts[:, 2]) < E)
    density = inside.sum() / (2 * E) ** 2
    under_area = (0.6 * house.size[0]) * (0.6 * house.size[2])
    # contact with the house's walls and floor culls the ground it stands on (a hollow house keeps
    # the ground inside its rooms, which is a real surface of the model)
    assert under.sum() < 0.4 * density * under_area
    # same inputs, same splats
    g2, _ = surface_splats(geo, layout, budget=30_000, min_spacing=p.voxel_size, seed=0)
    assert all(torch.equal(g[k].means, g2[k].means) and torch.equal(g[k].sh0, g2[k].sh0) for k in g)


def test_far_field_reaches_the_horizon_and_sky_dome_is_closed(street_world):
    from marble.render import render
    from marble.camera import ring

    names = [l.name for l in street_world.layers]
    assert "far_field" in names
    ff = street_world.layer("far_field")
    assert ff.is_environment  # kept out of scene bounds and camera framing
    lo, hi = ff.world_mesh().bounds
    assert hi[0] - lo[0] > 4000
    # from anywhere on the ground, all directions (up, down, the horizon) are covered by splats
    g = street_world.gaussians()
    for pitch in (-60.0, -2.0, 0.0, 3.0, 80.0):
        cams = ring([5.0, 1.6, -4.0], n=4, pitch_deg=pitch, width=48, height_px=32)
        alpha = render(g, cams).alphas
        assert float(alpha.min()) > 0.97, pitch
    # the sky dome alone covers the whole sphere (a viewer that draws no sky shows no background)
    sky = street_world.gaussians(layers=[l.name for l in street_world.layers if l.label == "sky"])
    for pitch in (-89.0, -30.0, 0.0, 30.0, 89.0):
        a = render(sky, ring([0.0, 1.6, 0.0], n=6, pitch_deg=pitch, width=32, height_px=24)).alphas
        assert float(a.min()) > 0.98, pitch


def test_below_horizon_sky_is_a_dark_haze_at_night():
    """No bright flat colour below the horizon (a night forest showed bright green there)."""
    from marble.layout import Lighting
    from marble.world import Environment
    from pipelines.views.shading import sky_pixels

    env = Environment(lighting=Lighting(sky_top=(0.02, 0.03, 0.08), sky_horizon=(0.07, 0.09, 0.17),
                                        sun_direction=(0.0, 0.6, 0.8), sun_intensity=0.18,
                                        ambient_color=(0.18, 0.22, 0.35), ambient_intensity=0.22),
                      ground_color=(0.3, 0.55, 0.2))
    d = np.array([[0.0, y, math.sqrt(1 - y * y)] for y in (0.001, -0.001, -0.05, -0.5, -1.0 + 1e-6)], np.float32)
    c = sky_pixels(env, d)
    assert np.abs(c[0] - c[1]).max() < 0.01  # continuous across the horizon
    assert c[2:].max() < 0.15  # dark, not the ground colour


def test_photo_warnings_and_closeup_scale():
    import warnings
    from types import SimpleNamespace

    from pipelines.image_to_world import ImageToWorldPipeline, photo_warnings
    from pipelines.lift.geometric_depth import GROUND, SKY, UPRIGHT

    closeup = SimpleNamespace(region=np.full((40, 64), UPRIGHT, np.int8))
    msgs, is_closeup = photo_warnings(closeup, estimator="geometric")
    assert is_closeup and any("does not look like a scene" in m for m in msgs)
    assert any("geometric estimator" in m for m in msgs)
    space = SimpleNamespace(region=np.where(np.arange(40)[:, None] < 39, SKY, UPRIGHT).repeat(64, 1).astype(np.int8))
    assert any("mostly sky" in m for m in photo_warnings(space, estimator="depth-anything")[0])
    scene = SimpleNamespace(region=np.where(np.arange(40)[:, None] < 15, SKY, GROUND).repeat(64, 1).astype(np.int8))
    assert photo_warnings(scene, estimator="depth-anything") == ([], False)

    rng = np.random.default_rng(0)
    img = np.clip(0.45 + 0.25 * rng.standard_normal((80, 128, 3)).cumsum(1) / 20, 0, 1).astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = ImageToWorldPipeline()(img, preset="draft", trajectory="none", meshes=False)
    msgs = out.world.provenance.inputs["warnings"]
    assert any("geometric estimator" in m for m in msgs)
    assert any("geometric estimator" in str(w.message) for w in caught)
    if any("does not look like a scene" in m for m in msgs):
        lo, hi = out.world.bounds(include_environment=False)
        assert float(np.max(hi - lo)) < 20.0  # lifted as a close-up, not hundreds of metres across


def test_cli_eval_reports_and_rejects_bad_input(tmp_path, street_world):
    from typer.testing import CliRunner

    from marble.frontends.cli.main import app
    from marble.world import World

    runner = CliRunner()
    path = tmp_path / "w.marble"
    street_world.save(path)
    res = runner.invoke(app, ["eval", str(path), "--eye", "2", "--aerial", "1", "--width", "64", "--height", "40",
                              "--json", "--frames", str(tmp_path / "frames")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["ground_truth"] and doc["eye"]["cameras"] == 2
    assert len(list((tmp_path / "frames").glob("*.png"))) == 3

    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    res = runner.invoke(app, ["eval", str(bad)])
    assert res.exit_code == 2 and "not a world file" in res.stderr and len(res.stderr.strip().splitlines()) == 1

    empty = tmp_path / "empty.marble"
    World().save(empty)
    res = runner.invoke(app, ["eval", str(empty)])
    assert res.exit_code == 2 and "empty world" in res.stderr

    nolayout = street_world.copy()
    nolayout.layout = None
    p2 = tmp_path / "nolayout.marble"
    nolayout.save(p2)
    res = runner.invoke(app, ["eval", str(p2), "--width", "48", "--height", "32"])
    assert res.exit_code == 2 and "no layout" in res.stderr
    assert "head moves" in res.stdout  # the hole figures alone
    res = runner.invoke(app, ["eval", str(p2), "--width", "48", "--height", "32", "--holes-only"])
    assert res.exit_code == 0


def test_evaluate_rejects_bad_arguments(street_world):
    from pipelines.evaluate import evaluate_world

    with pytest.raises(InputError, match="`eye`"):
        evaluate_world(street_world, eye=-1)
    with pytest.raises(InputError, match="`width`"):
        evaluate_world(street_world, width=4)
    with pytest.raises(InputError, match="World"):
        evaluate_world("world.marble")


def test_manifest_records_the_evaluation(tmp_path, street_world):
    from marble.frontends.outputs import write_outputs

    m = write_outputs(street_world, tmp_path / "out", formats=["ply"], previews=False,
                      evaluate={"eye": 2, "aerial": 1, "width": 48, "height": 32})
    assert m["eval"]["eye"]["cameras"] == 2 and "psnr_mean" in m["eval"]["eye"]
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["eval"] == m["eval"]


def test_baked_fog_is_the_mean_fog_viewers_see():
    from marble.render.fog import MIN_VIEW_DISTANCE, baked_fog_distance
    from pipelines.fusion.surface import fog_view
    from pipelines.views.walkable import WalkableRegion

    region = WalkableRegion(x0=-10.0, x1=10.0, z0=-10.0, z1=10.0, indoor=False, eye_height=1.6, top=5.0)
    pts = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [40.0, 3.0, 0.0]])
    nrm = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])
    k = 0.03
    box, top = fog_view(region)
    assert top == region.top + region.eye_height
    got = baked_fog_distance(box, pts, nrm, k, top=top)
    # brute force: viewer distances d_min..d_min + 20 m weighted by the pixels the surface covers,
    # 1/D^2 for the ground (foreshortened), 1/D for a wall facing the viewers
    for i, p in enumerate((2.0, 1.0, 1.0)):
        d_min = max(float(region.distance(pts[i:i + 1])[0]), MIN_VIEW_DISTANCE)
        D = np.linspace(d_min, d_min + 20.0, 200_001)
        w = D ** -p
        t = np.sum(w * np.exp(-k * D)) / np.sum(w)
        assert abs(math.exp(-k * got[i]) - t) < 2e-3
    assert got[0] < got[1] < got[2]  # the ground is seen nearer than a wall, a far hill farther still
    # no fog: the typical distance, finite and within the viewers' range
    plain = baked_fog_distance(box, pts, nrm, 0.0, top=top)
    assert np.all(np.isfinite(plain)) and plain[2] > 30.0


@pytest.mark.parametrize("prompt", ["a harbour with fishing boats and a pier", "an island with palm trees and a hut",
                                    "a sandy beach with a lifeguard tower"])
def test_the_sea_runs_on_to_the_horizon(prompt):
    """A harbour's or island's sea was a rectangle with brown hills beyond it; now the water goes on."""
    from marble.text import parse_prompt
    from pipelines.procedural import build_scene_geometry, synthesize_layout
    from pipelines.procedural.terrain import far_field_height, far_field_radius, open_sea

    layout = synthesize_layout(parse_prompt(prompt), seed=0)
    sea = open_sea(layout)
    assert sea is not None
    geo = {g.name: g for g in build_scene_geometry(layout, detail=0)}
    lo, hi = geo["water"].mesh.bounds
    R = far_field_radius(layout)
    assert hi[2] >= R - 1 and hi[0] >= R - 1 and lo[0] <= -R + 1  # to the far field's edge, all across
    assert lo[2] <= sea[0]  # and back to the sea's near edge
    # beyond the extent, the far field on the sea side is under the water, on the land side above it
    E = layout.environment.extent
    z = np.linspace(E + 20.0, R * 0.9, 50)
    under = far_field_height(layout, np.zeros_like(z), z)
    assert np.all(under < sea[1] - 0.3)
    land = far_field_height(layout, np.zeros_like(z), -z)
    assert np.mean(land > sea[1]) > 0.9
    # no open sea in a meadow
    assert open_sea(synthesize_layout(parse_prompt("a meadow with flowers"), seed=0)) is None


def test_the_open_sea_is_kept_out_of_the_scene_bounds():
    """The sea runs 2.5 km out: counted in the bounds, it sent the orbit camera outside the sky dome."""
    import marble
    from marble.render.paths import scene_bounds

    world = marble.generate("a harbour with fishing boats and a pier", preset="draft", seed=0)
    assert world.layer("water").is_environment and world.layer("far_field").is_environment
    lo, hi = scene_bounds(world)
    assert float(np.max(hi - lo)) < 200.0


def test_the_sea_object_is_a_surface_that_matches_the_open_sea():
    """A harbour's sea object was a box: its bottom got dark splats shaded from below that showed
    through its top as a striped, darker rectangle in the open sea from above."""
    import marble
    from marble.render.fog import _normals

    w = marble.generate("a harbour with fishing boats and a pier", seed=0, preset="draft")
    sea = next(x for x in w.layers if x.label == "sea")
    g = sea.world_gaussians()
    top = float(g.means[:, 1].max())
    flat = np.abs(_normals(g)[:, 1]) > 0.9
    low = g.means[:, 1].numpy() < top - 0.03
    assert not (flat & low).any()  # no splats of a bottom face
    water = w.layer("water").gaussians.colors.mean(0).numpy()
    assert np.abs(g.colors[torch.from_numpy(flat)].mean(0).numpy() - water).max() < 0.06
