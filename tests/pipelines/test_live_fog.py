"""Foggy worlds: surface splats hold colours without fog and every viewer of Marble adds it by distance.

Before, the fog a viewer over the walkable region sees on average was baked into each splat: walking up
to a tree left it veiled, and from 10 m up the whole world was too foggy (a snowy cabin scored 22.4 dB at
eye level and 21.2 dB from the air against the procedural truth; live fog: 24.5 and 28.3).
"""

from __future__ import annotations

import copy

import pytest
import torch

import marble
from marble.render.fog import META_KEY, baked_gaussians, is_live

PROMPT = "a cabin in a snowy pine forest at sunset"


@pytest.fixture(scope="module")
def foggy():
    from pipelines.text_to_world import TextToWorldPipeline

    return TextToWorldPipeline()(PROMPT, seed=0, preset="draft", measure_fidelity=True)


def baked_copy(world):
    """The same world with its fog baked in the old way (no live layers)."""
    w = copy.deepcopy(world)
    for layer in w.layers:
        if is_live(layer):
            g = baked_gaussians(layer, layer.world_gaussians(), w.environment)
            if not torch.equal(layer.transform, torch.eye(4, dtype=torch.float64)):
                g = g.transform(torch.linalg.inv(layer.transform))
            layer.gaussians = g
            del layer.meta[META_KEY]
    return w


def test_surface_layers_are_live_and_the_sky_is_not(foggy, tmp_path):
    w = foggy.world
    assert w.environment.lighting.fog_density > 0
    live = [layer.name for layer in w.layers if is_live(layer)]
    assert "ground" in live and "far_field" in live and any(n.startswith("pine") for n in live)
    assert not is_live(w.layer("sky"))
    from marble.sky import is_environment_sky

    assert is_environment_sky(w.layer("sky"))  # Marble draws that sky exactly, the dome is for other viewers
    again = marble.World.load(w.save(tmp_path / "foggy.marble"))  # the flag survives the bundle
    assert [is_live(x) for x in again.layers] == [is_live(x) for x in w.layers]


def test_live_fog_matches_the_truth_better_than_baked_fog(foggy):
    from pipelines.evaluate import evaluate_world

    kw = dict(eye=3, aerial=2, width=64, height=40)
    live = evaluate_world(foggy.world, **kw).summary()
    baked = evaluate_world(baked_copy(foggy.world), **kw).summary()
    assert live["eye"]["psnr_mean"] > baked["eye"]["psnr_mean"] + 0.5
    assert live["aerial"]["psnr_mean"] > baked["aerial"]["psnr_mean"] + 2.0
    assert live["eye"]["holes_mean"] <= 0.01


def test_fidelity_and_refinement_draw_the_fog_as_viewers_do(foggy):
    """The source views show fog: re-rendered without it the splats would look 8 dB worse."""
    from pipelines.fusion import fusion_psnr
    from pipelines.refine import refine_world

    with_fog = foggy.metrics["fusion_psnr"]["mean"]
    w = copy.deepcopy(foggy.world)
    for layer in w.layers:
        layer.meta.pop(META_KEY, None)
    assert with_fog > fusion_psnr(w, foggy.views)["mean"] + 4.0
    live = copy.deepcopy(foggy.world)
    r = refine_world(live, foggy.views[:2], steps=1, max_side=64)
    r_plain = refine_world(w, foggy.views[:2], steps=1, max_side=64)
    assert r.psnr_before > r_plain.psnr_before + 4.0
    assert all(is_live(live.layer(n)) for n in ("ground", "far_field"))


def test_the_editor_viewport_gets_the_fog_and_the_live_layers(foggy):
    from marble.frontends.editor.scene import fog_entry, layer_entry

    fog = fog_entry(foggy.world)
    assert fog["density"] == pytest.approx(foggy.world.environment.lighting.fog_density, rel=1e-4)
    assert layer_entry(foggy.world.layer("ground"), "k", set())["fog"] is True
    assert layer_entry(foggy.world.layer("sky"), "k", set())["fog"] is False
    clear = marble.generate("a sunny park with oak trees", seed=0, preset="draft")
    assert fog_entry(clear) is None
