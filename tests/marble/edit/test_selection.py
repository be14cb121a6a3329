"""Selections: world-space masks per layer (box, sphere, colour, opacity, camera rectangle/lasso, set algebra)."""

from __future__ import annotations

import math

import pytest
import torch

from marble.camera import Camera
from marble.edit import selection as S
from marble.errors import InputError
from tests.support.edit_worlds import small_world


def _manual_box(world, name, lo, hi):
    layer = world.layer(name)
    p = layer.gaussians.transform(layer.transform).means
    lo, hi = torch.tensor(lo), torch.tensor(hi)
    return ((p >= lo) & (p <= hi)).all(dim=1)


def test_box_uses_world_space_of_transformed_layers():
    w = small_world()
    lo, hi = (-3.0, 0.0, -1.0), (0.0, 2.0, 2.0)
    sel = S.select_box(w, lo, hi)
    assert "table_1" in sel and "chair_1" not in sel  # table is at x=-1.5 (rotated, scaled), chair at x=+1
    assert torch.equal(sel["table_1"], _manual_box(w, "table_1", lo, hi))
    assert torch.equal(sel["ground"], _manual_box(w, "ground", lo, hi))
    assert S.selection_count(sel) == int(sel["table_1"].sum() + sel["ground"].sum())


def test_oriented_box_matches_aabb_without_rotation_and_rotates():
    w = small_world()
    a = S.select_box(w, (0.5, 0.0, -0.5), (1.5, 1.0, 0.5))
    b = S.select_oriented_box(w, (1.0, 0.5, 0.0), (1.0, 1.0, 1.0))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    # a long thin box along x, turned 90 degrees about y, becomes a box along z
    c = S.select_oriented_box(w, (0, 0, 0), (4.0, 6.0, 0.2), yaw_deg=90)
    d = S.select_box(w, (-0.1, -3, -2), (0.1, 3, 2))
    for k in d:
        assert torch.equal(c[k], d[k])


def test_sphere_and_window_selection_of_mesh_only_layers():
    w = small_world()
    sel = S.select_sphere(w, (0.0, 0.2, -2.0), 0.5)  # the rock (icosphere r=0.2) fits entirely
    assert "rock" in sel and sel["rock"].numel() == 0
    assert S.is_whole(w, sel, "rock")
    part = S.select_sphere(w, (0.0, 0.2, -2.1), 0.15)  # cuts through it: not selected
    assert "rock" not in part
    p = S.world_points(w.layer("ground"))
    expect = ((p - torch.tensor([0.0, 0.2, -2.0])) ** 2).sum(1) <= 0.25
    assert torch.equal(sel.get("ground", torch.zeros_like(expect)), expect)


def test_hidden_layers_are_not_selected():
    w = small_world()
    w.layer("ground").visible = False
    sel = S.select_box(w, (-10, -10, -10), (10, 10, 10))
    assert "ground" not in sel and "chair_1" in sel


def test_colour_and_opacity():
    w = small_world()
    g = w.layer("chair_1").gaussians
    target = g.colors[7].tolist()
    sel = S.select_color(w, target, tolerance=0.0001)
    assert bool(sel["chair_1"][7])
    op = S.select_opacity(w, below=0.3)
    for name, mask in op.items():
        assert torch.equal(mask, w.layer(name).gaussians.opacities < 0.3)
    both = S.select_opacity(w, below=0.6, above=0.3)
    m = both["ground"]
    o = w.layer("ground").gaussians.opacities
    assert torch.equal(m, (o < 0.6) & (o > 0.3))


def test_rect_and_lasso_select_what_projects_inside():
    w = small_world()
    cam = Camera.look_at((1.0, 0.4, 4.0), (1.0, 0.4, 0.0), width=64, height=48, fov_y_deg=40)
    full = S.select_rect(w, cam, (0, 0, 64, 48))
    sub = S.select_rect(w, cam, (24, 16, 40, 32))
    assert S.selection_count(sub) < S.selection_count(full)
    uv, z = S.project_points(cam, S.world_points(w.layer("chair_1")))
    expect = (z > 0.01) & (uv[:, 0] >= 24) & (uv[:, 0] < 40) & (uv[:, 1] >= 16) & (uv[:, 1] < 32)
    assert torch.equal(sub["chair_1"], expect)
    lasso = S.select_lasso(w, cam, [(24, 16), (40, 16), (40, 32), (24, 32)])
    # fillPoly includes the closing edge pixels, so the lasso holds the rectangle
    assert bool((lasso["chair_1"] | ~sub["chair_1"]).all())
    behind = Camera.look_at((1.0, 0.4, 4.0), (1.0, 0.4, 8.0), width=64, height=48)
    assert "chair_1" not in S.select_rect(w, behind, (0, 0, 64, 48))


def test_set_algebra_and_grow():
    w = small_world()
    a = S.select_box(w, (-3, -3, -3), (0, 3, 3))
    b = S.select_sphere(w, (0, 0, 0), 1.5)
    u, i, d = S.union(a, b), S.intersect(a, b), S.subtract(a, b)
    for k in set(a) | set(b):
        ma = a.get(k, torch.zeros(w.layer(k).num_splats, dtype=torch.bool))
        mb = b.get(k, torch.zeros_like(ma))
        assert torch.equal(u[k], ma | mb)
        assert torch.equal(i.get(k, torch.zeros_like(ma)), ma & mb)
        assert torch.equal(d.get(k, torch.zeros_like(ma)), ma & ~mb)
    inv = S.invert(w, a)
    for k in w.layer_names:
        n = w.layer(k).num_splats
        if n:
            assert torch.equal(inv.get(k, torch.zeros(n, dtype=torch.bool)), ~a.get(k, torch.zeros(n, dtype=torch.bool)))
    small = {"chair_1": torch.zeros(120, dtype=torch.bool)}
    small["chair_1"][0] = True
    grown = S.grow(w, small, 0.2)
    p = S.world_points(w.layer("chair_1"))
    assert torch.equal(grown["chair_1"], ((p - p[0]).norm(dim=1) <= 0.2))


def test_layers_and_labels():
    w = small_world()
    sel = S.select_label(w, "chair")
    assert list(sel) == ["chair_1"] and bool(sel["chair_1"].all())
    assert S.describe(w, sel).startswith("120 splats in 1 layer")
    with pytest.raises(InputError, match="labels are"):
        S.select_label(w, "sofa")
    with pytest.raises(InputError, match="no layer named"):
        S.select_layers(w, "nope")


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda w: S.select_box(w, (1, 0, 0), (0, 1, 1)), "exceeds"),
        (lambda w: S.select_box(w, (math.nan, 0, 0), (1, 1, 1)), "NaN"),
        (lambda w: S.select_sphere(w, (0, 0, 0), -1), "radius"),
        (lambda w: S.select_color(w, (2, 0, 0)), "rgb"),
        (lambda w: S.select_opacity(w), "below"),
        (lambda w: S.select_rect(w, Camera.look_at((0, 1, 3), (0, 0, 0), width=32, height=32), (40, 40, 50, 50)), "overlap"),
        (lambda w: S.select_lasso(w, Camera.look_at((0, 1, 3), (0, 0, 0), width=32, height=32), [(0, 0), (1, 1)]), "polygon"),
        (lambda w: S.grow(w, {}, 1.0), "empty"),
        (lambda w: S.check_selection(w, {"ground": torch.ones(3, dtype=torch.bool)}), "select again"),
    ],
)
def test_bad_selection_input(call, match):
    with pytest.raises(InputError, match=match):
        call(small_world())
