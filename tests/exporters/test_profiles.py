"""VR/target profiles: budgets as dataclasses, pruning with coverage, decimation, collider, manifest."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from exporters import export, import_file
from exporters.budgets import PROFILES, Profile, get_profile
from exporters.profiles import decimate_mesh, prune_indices, splat_importance
from exporters.samples import colored_box, random_gaussians, sample_world
from marble.errors import BudgetError, InputError
from marble.world import Layer, World


def test_profiles_are_dataclasses_with_the_issue_budgets():
    assert set(PROFILES) == {"quest3", "visionpro", "web", "desktop"}
    assert all(dataclasses.is_dataclass(p) for p in PROFILES.values())
    q = get_profile("quest3")
    assert (q.max_splats, q.max_triangles, q.max_texture_size) == (1_000_000, 750_000, 2048)
    assert (q.collider_min_triangles, q.collider_max_triangles) == (100_000, 200_000)
    v = get_profile("visionpro")
    assert (v.max_splats, v.max_triangles, v.preferred_extension, v.usdz_arkit) == (750_000, 500_000, ".usdz", True)
    assert get_profile("web").max_splats == 2_500_000
    assert get_profile("desktop").max_splats is None
    with pytest.raises(InputError, match="unknown `profile`"):
        get_profile("quest9")


def test_pruning_keeps_the_most_important_and_covers_space():
    g = random_gaussians(20000, seed=1, extent=5.0)
    # a sparse corner cluster of faint, small splats that pure importance ranking would drop entirely
    corner = torch.rand(200, 3, generator=torch.Generator().manual_seed(0)) * 0.5 + 7.0  # isolated
    g.means[:200] = corner
    g.opacity_logits[:200] = -4.0
    g.log_scales[:200] = np.log(0.003)
    keep = prune_indices(g, 5000)
    assert len(keep) == 5000 and np.all(np.diff(keep) > 0)
    assert np.any(keep < 200), "coverage lost: the corner cluster vanished"
    score = splat_importance(g).numpy()
    top = np.argsort(-score, kind="stable")[:2500]
    assert np.isin(top, keep).mean() > 0.95  # importance still dominates
    assert np.array_equal(keep, prune_indices(g, 5000))  # deterministic


def test_decimation_keeps_vertex_colours_and_meets_the_target():
    box = colored_box(subdivisions=5)  # 12 * 4^5 = 12288 triangles
    out = decimate_mesh(box, 1000)
    assert 500 <= len(out.faces) <= 1000
    assert out.visual.kind == "vertex" and len(out.visual.vertex_colors) == len(out.vertices)
    assert np.allclose(out.bounds, box.bounds, atol=0.05)


def _big_world(n_splats: int, subdivisions: int) -> World:
    return World([
        Layer("cloud", gaussians=random_gaussians(n_splats, seed=2)),
        Layer("rock", mesh=colored_box(subdivisions=subdivisions)),
    ])


def test_quest3_profile_prunes_decimates_writes_collider_and_manifest(tmp_path, monkeypatch):
    small = Profile("quest3", max_splats=3000, max_triangles=2000, collider_min_triangles=300,
                    collider_max_triangles=600, max_texture_size=64, bake_textures=True)
    monkeypatch.setitem(PROFILES, "quest3", small)  # same logic, budgets scaled down to stay fast
    w = _big_world(5000, subdivisions=4)  # 3072 triangles
    files = export(w, tmp_path / "scene.glb", profile="quest3", texture_size=1024)
    assert [f.name for f in files] == ["scene.glb", "scene.collider.glb", "scene.glb.manifest.json"]
    out = import_file(files[0])
    assert out.num_splats == 3000
    assert out.num_triangles <= 2000
    tex = out.layer("rock").mesh.visual.material.baseColorTexture
    assert tex.size == (64, 64)  # capped by the profile
    col = import_file(files[1])
    assert 300 <= col.num_triangles <= 600 and col.num_splats == 0
    m = json.loads(files[2].read_text())
    assert m["profile"] == "quest3" and m["within_budget"] is True
    assert m["input"] == {"splats": 5000, "triangles": 3072}
    assert m["output"]["splats"] == 3000 and m["output"]["triangles"] == out.num_triangles
    assert m["output"]["texture_size"] == 64
    assert m["budget"]["max_splats"] == 3000 and m["collider"]["triangles"] == col.num_triangles
    assert m["files"] == ["scene.glb", "scene.collider.glb"]


def test_world_under_budget_is_untouched(tmp_path):
    w = sample_world(n_splats=500)
    files = export(w, tmp_path / "w.ply", profile="web")
    assert [f.name for f in files] == ["w.ply", "w.ply.manifest.json"]  # web has no collider
    assert import_file(files[0]).num_splats == 500
    m = json.loads(files[1].read_text())
    assert m["actions"] == [] and m["output"]["splats"] == 500


def test_budget_that_cannot_be_met_raises_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(PROFILES, "web", Profile("web", max_splats=100))
    w = _big_world(500, subdivisions=0)
    with pytest.raises(BudgetError, match="exceed profile 'web'"):
        export(w, tmp_path / "x.spz", profile="web", prune=False)
    assert list(tmp_path.iterdir()) == []
    # visionpro USDZ holds meshes only: a splat-only world cannot meet it
    w2 = World([Layer("cloud", gaussians=random_gaussians(50))])
    with pytest.raises(BudgetError, match="meshes only"):
        export(w2, tmp_path / "x.usdz", profile="visionpro")
    assert list(tmp_path.iterdir()) == []


def test_failure_in_a_later_file_removes_the_earlier_ones(tmp_path, monkeypatch):
    import exporters.profiles as prof

    def boom(*a, **k):
        raise InputError("collider failed")

    monkeypatch.setattr(prof, "build_collider", boom)
    with pytest.raises(InputError, match="collider failed"):
        export(sample_world(n_splats=100), tmp_path / "q.glb", profile="quest3")
    assert list(tmp_path.iterdir()) == []
