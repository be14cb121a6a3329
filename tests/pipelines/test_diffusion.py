"""Learned components end to end with tiny random models saved to disk and loaded through the registry.

Every model here is built in-process (tests/support/tiny_models.py, shared through tests/conftest.py), saved with ``save_pretrained``
(safetensors) and loaded back through ``pipelines.diffusion.registry``: no network, no weights.
Diffusion runs 2 inference steps at 64x64.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from marble.errors import InputError, ModelUnavailableError
from marble.presets import get_preset
from marble.view import View
from marble.world import World
from pipelines.diffusion.config import ModelConfig
from pipelines.diffusion.registry import (
    classify_folder,
    load_depth,
    load_inpaint,
    load_text2image,
    resolve_model,
)
from pipelines.learned import ModelLoader, choose_mode, run_learned
from pipelines.lift.geometric_depth import camera_from_horizon
from pipelines.lift.synthetic import SyntheticScene

TINY = get_preset("draft", view_width=64, view_height=48, voxel_size=0.1, sky_splats=300, ring_views=2, walk_views=1)


@pytest.fixture(scope="module")
def models(tiny_models) -> dict:
    """The session's tiny models (tests/conftest.py), by role."""
    return tiny_models


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    cam = camera_from_horizon(width=64, height=48, horizon_row=16)
    rgb, _, _ = SyntheticScene.random(seed=0).render(cam)
    return rgb


# ---------------------------------------------------------------------- registry
def test_registry_classifies_folders(models):
    assert classify_folder(__import__("pathlib").Path(models["sd"]))[0] == "diffusers"
    for kind, key, family in [("text2image", "sd", "diffusers"), ("inpaint", "inpaint", "diffusers"),
                              ("controlnet", "controlnet", "controlnet"), ("depth", "depth", "transformers"),
                              ("depth", "marigold", "marigold")]:
        r = resolve_model(models[key], kind=kind)
        assert r.family == family and r.source == "folder" and r.path.is_dir()


@pytest.mark.parametrize("kind, key", [("depth", "controlnet"), ("controlnet", "sd"), ("text2image", "depth"),
                                       ("inpaint", "marigold")])
def test_wrong_kind_of_folder_is_a_clear_error(models, kind, key):
    with pytest.raises(InputError, match="wrong kind"):
        resolve_model(models[key], kind=kind)


def test_pickle_only_and_empty_folders_rejected(tmp_path):
    (tmp_path / "cn").mkdir()
    (tmp_path / "cn" / "config.json").write_text(json.dumps({"_class_name": "ControlNetModel"}))
    (tmp_path / "cn" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x02")
    with pytest.raises(InputError, match="safetensors only"):
        resolve_model(str(tmp_path / "cn"), kind="controlnet")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="wrong kind"):
        resolve_model(str(tmp_path / "empty"), kind="depth")
    (tmp_path / "f.safetensors").write_bytes(b"")
    with pytest.raises(InputError, match="folder"):
        resolve_model(str(tmp_path / "f.safetensors"), kind="depth")


def test_missing_hub_model_says_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError) as err:
        resolve_model("depth-anything/Depth-Anything-V2-Small-hf", kind="depth", cache_dir=tmp_path)
    msg = str(err.value)
    assert "depth-anything/Depth-Anything-V2-Small-hf" in msg and str(tmp_path) in msg and "huggingface-cli download" in msg
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        resolve_model(str(tmp_path / "nope"), kind="depth")
    with pytest.raises(InputError, match="kind"):
        resolve_model("a/b", kind="video")


# ---------------------------------------------------------------------- components
def test_text2image_deterministic(models):
    from pipelines.diffusion.text2image import TextToImage

    pipe = load_text2image(resolve_model(models["sd"], kind="text2image"))
    pipe.set_progress_bar_config(disable=True)
    t2i = TextToImage(pipe, name="tiny", steps=2, guidance=1.0)
    a = t2i("a cabin", seed=1, width=64, height=48)
    b = t2i("a cabin", seed=1, width=64, height=48)
    assert a.shape == (48, 64, 3) and a.dtype == np.float32 and np.isfinite(a).all()
    assert np.array_equal(a, b)
    with pytest.raises(InputError, match="prompt"):
        t2i("  ", seed=0)


def test_depth_anything_and_nan_guard(models, photo):
    from pipelines.diffusion.depth import TransformersDepth

    model, processor = load_depth(resolve_model(models["depth"], kind="depth"))
    est = TransformersDepth(model, processor, name="tiny").estimate(photo)
    assert est.values.shape == photo.shape[:2] and est.space == "disparity" and np.isfinite(est.values).all()
    no_proc = TransformersDepth(model, None, name="tiny", input_size=56).estimate(photo)
    assert no_proc.values.shape == photo.shape[:2]

    class NaNModel(torch.nn.Module):
        config = model.config

        def __init__(self):
            super().__init__()
            self.p = torch.nn.Parameter(torch.zeros(1))

        def forward(self, pixel_values):
            return type("O", (), {"predicted_depth": torch.full(pixel_values.shape[:1] + pixel_values.shape[2:], float("nan"))})()

    with pytest.raises(InputError, match="NaN"):
        TransformersDepth(NaNModel(), None, name="broken", input_size=28).estimate(photo)


def test_marigold_depth(models, photo):
    from pipelines.diffusion.depth import MarigoldDepth

    pipe, _ = load_depth(resolve_model(models["marigold"], kind="depth"))
    pipe.set_progress_bar_config(disable=True)
    est = MarigoldDepth(pipe, name="tiny", steps=1).estimate(photo)
    assert est.values.shape == photo.shape[:2] and est.space == "depth" and np.isfinite(est.values).all()


def test_diffusion_inpainter_keeps_known_pixels(models, photo):
    from pipelines.diffusion.inpaint import DiffusionInpainter

    pipe = load_inpaint(resolve_model(models["inpaint"], kind="inpaint"))
    pipe.set_progress_bar_config(disable=True)
    inp = DiffusionInpainter(pipe, name="tiny", steps=2, guidance=1.0, grow=1)
    mask = np.zeros(photo.shape[:2], bool)
    mask[10:30, 20:40] = True
    out = inp.inpaint(photo, mask, prompt="grass", seed=0)
    from scipy import ndimage

    untouched = ~ndimage.binary_dilation(mask, iterations=1)
    assert out.shape == photo.shape and np.array_equal(out[untouched], photo[untouched])
    assert not np.allclose(out[mask], photo[mask])


def test_controlnet_painter_views_agree(models):
    from diffusers import StableDiffusionControlNetPipeline

    from pipelines.diffusion.controlnet import ControlNetPainter
    from pipelines.diffusion.registry import load_controlnet
    from pipelines.lift.warp import forward_warp

    base = load_text2image(resolve_model(models["sd"], kind="text2image"))
    cn = load_controlnet(resolve_model(models["controlnet"], kind="controlnet"))
    pipe = StableDiffusionControlNetPipeline.from_pipe(base, controlnet=cn)
    pipe.set_progress_bar_config(disable=True)
    scene = SyntheticScene.random(seed=1)
    cams = [camera_from_horizon(width=64, height=48, horizon_row=16)]
    T = cams[0].T_world_camera.clone()
    T[0, 3] += 0.4
    cams.append(type(cams[0])(cams[0].fx, cams[0].fy, cams[0].cx, cams[0].cy, 64, 48, T, "b"))
    views = []
    for c in cams:
        rgb, depth, labels = scene.render(c)
        views.append(View(camera=c, rgb=rgb, depth=depth, object_ids=np.where(labels >= 0, labels, -1).astype(np.int32),
                          layer_names=["ground", "b0", "b1", "b2", "b3"]))
    painter = ControlNetPainter(pipe, name="controlnet:tiny", steps=2, guidance=1.0)
    painted = painter.paint(views, prompt="a field", seed=0)
    assert [p.source for p in painted] == ["controlnet-depth"] * 2
    assert painter.stats[0]["mode"] == "txt2img" and painter.stats[1]["mode"] in ("inpaint", "warp")
    assert all(np.array_equal(p.depth, v.depth) for p, v in zip(painted, views))
    # pixels of view 2 that view 1 painted keep view 1's colours (the views agree)
    warp = forward_warp(painted[0].rgb, painted[0].depth, cams[0], cams[1])
    from scipy import ndimage

    seen = ~ndimage.binary_dilation(warp.hole, iterations=3)
    assert seen.mean() > 0.5
    assert np.abs(painted[1].rgb[seen] - warp.rgb[seen]).mean() < 0.02


# ---------------------------------------------------------------------- pipelines and routing
def test_image_to_world_with_learned_depth_and_diffusion_inpainting(models, photo):
    from pipelines.image_to_world import ImageToWorldPipeline

    loader = ModelLoader(ModelConfig(depth_model=models["depth"], inpaint_model=models["inpaint"], steps=2, guidance=1.0))
    pipe = ImageToWorldPipeline(depth_estimator=loader.depth_estimator(), inpainter=loader.inpainter())
    out = pipe(photo, preset=TINY, trajectory="walk", num_views=2, walk_distance=1.0, seed=0)
    w = out.world
    assert isinstance(w, World) and w.num_splats > 100 and "ground" in w.layer_names
    assert w.provenance.stages["depth"] == "depth-anything:depth_anything"
    assert w.provenance.stages["inpaint"] == "diffusion:sd_inpaint"
    assert out.metrics["reprojection_rel_depth"] < 0.05


def test_run_learned_image_mode_records_components(models, photo, tmp_path):
    w = run_learned(None, image=photo, preset=TINY, models=ModelConfig(depth_model=models["depth"], trajectory="walk",
                                                                       num_views=3), seed=2)
    assert w.provenance.inputs["trajectory"] == "walk" and w.provenance.inputs["views"] == 3
    assert w.provenance.stages["depth"] == "depth-anything:depth_anything"
    assert w.provenance.stages["inpaint"] == "telea+rows"
    assert w.provenance.inputs["mode"] == "image" and w.provenance.inputs["device"] == "cpu"
    assert World.load(w.save(tmp_path / "w.marble")).equal(w)


def test_run_learned_text_image_mode(models):
    w = run_learned("a cabin by a lake", preset=TINY, models=ModelConfig(model=models["sd"], steps=2, guidance=1.0), seed=0)
    assert w.provenance.stages["text2image"] == "text2image:sd"
    assert w.provenance.inputs["mode"] == "text-image" and w.num_splats > 0


def test_blockout_painted_with_controlnet(models):
    from marble.text import parse_prompt
    from pipelines.procedural import synthesize_layout

    layout = synthesize_layout(parse_prompt("a small garden with a bench"), seed=0, preset=TINY)
    w = run_learned("a small garden", layout=layout, preset=TINY,
                    models=ModelConfig(model=models["sd"], controlnet=models["controlnet"], steps=2, guidance=1.0))
    assert w.provenance.stages["paint"] == "controlnet:controlnet"
    assert w.provenance.inputs["mode"] == "controlnet"
    assert w.num_splats > 0 and w.layout is not None


def test_refine_is_honoured_on_every_learned_route(models, photo):
    """``--refine N`` reaches the learned routes (ControlNet-painted blockout, text -> image -> lift, photo
    lift) through the one GenerateOptions, from the public entry point down: N steps run, 0 runs none."""
    import marble
    from marble.text import parse_prompt
    from pipelines.procedural import synthesize_layout

    layout = synthesize_layout(parse_prompt("a small garden with a bench"), seed=0, preset=TINY)
    painted = ModelConfig(model=models["sd"], controlnet=models["controlnet"], steps=2, guidance=1.0)
    w = marble.generate("a small garden", layout=layout, preset=TINY, models=painted, refine_steps=3)
    assert w.provenance.inputs["mode"] == "controlnet"
    assert w.provenance.stages["refine"].endswith("-3"), w.provenance.stages
    assert w.provenance.metrics["refine_psnr_after_db"] > 0
    none = marble.generate("a small garden", layout=layout, preset=TINY, models=painted, refine_steps=0)
    assert "refine" not in none.provenance.stages and "refine_psnr_after_db" not in none.provenance.metrics

    t2i = marble.generate("a cabin by a lake", preset=TINY, models=ModelConfig(model=models["sd"], steps=2, guidance=1.0),
                          refine_steps=2)
    assert t2i.provenance.inputs["mode"] == "text-image"
    assert t2i.provenance.stages["refine"].startswith("photometric:2 steps")

    lifted = marble.generate(None, image=photo, preset=TINY, models=ModelConfig(depth_model=models["depth"]),
                             refine_steps=2)
    assert lifted.provenance.stages["refine"].startswith("photometric:2 steps")
    assert marble.generate(None, image=photo, preset=TINY, models=ModelConfig(depth_model=models["depth"]),
                           refine_steps=0).provenance.stages["refine"] == "none"
    with pytest.raises(InputError, match="refine_steps"):
        marble.generate(None, image=photo, preset=TINY, models=ModelConfig(depth_model=models["depth"]), refine_steps=-2)


def test_missing_models_fall_back_or_fail(photo):
    missing = "nobody/no-such-depth-model"
    w = run_learned(None, image=photo, preset=TINY, models=ModelConfig(depth_model=missing))
    assert w.provenance.stages["depth"] == "geometric (fallback)"
    assert any(missing in n for n in w.provenance.inputs["model_notes"])
    with pytest.raises(ModelUnavailableError, match="fallback is off"):
        run_learned(None, image=photo, preset=TINY, models=ModelConfig(depth_model=missing, fallback=False))


def test_mode_choice_and_bad_options():
    assert choose_mode(ModelConfig(controlnet="x"), image=None, layout=None) == "controlnet"
    assert choose_mode(ModelConfig(model="x"), image=None, layout=None) == "text-image"
    assert choose_mode(ModelConfig(model="x", controlnet="y", mode="image"), image=None, layout=None) == "text-image"
    assert choose_mode(ModelConfig(), image=np.zeros((4, 4, 3)), layout=None) == "image"
    with pytest.raises(InputError, match="mode"):
        choose_mode(ModelConfig(mode="dream"), image=None, layout=None)
    with pytest.raises(InputError, match="--controlnet"):
        choose_mode(ModelConfig(mode="controlnet"), image=None, layout=None)
    with pytest.raises(InputError, match="fp16"):
        ModelLoader(ModelConfig(dtype="fp16"), device="cpu")
    with pytest.raises(InputError, match="dtype"):
        ModelLoader(ModelConfig(dtype="fp8"), device="cpu")


@pytest.mark.cuda
def test_cuda_fp16_text2image_and_depth(models, photo):
    loader = ModelLoader(ModelConfig(model=models["sd"], depth_model=models["depth"], steps=2, guidance=1.0), device="cuda")
    assert loader.dtype == torch.float16
    img = loader.text2image()("a cabin", seed=0, width=64, height=64)
    assert img.shape == (64, 64, 3) and np.isfinite(img).all()
    est = loader.depth_estimator().estimate(photo)
    assert np.isfinite(est.values).all()


def test_panorama_route_uses_the_configured_depth_model(models):
    """`--depth-model` reached the photo route only; a panorama was always lifted geometrically."""
    import marble

    rng = np.random.default_rng(0)
    pano = np.zeros((64, 128, 3), np.float32)
    pano[:32] = [0.5, 0.7, 0.95]
    pano[32:] = np.clip([0.3, 0.5, 0.2] + rng.normal(0, 0.05, (32, 128, 3)), 0, 1)
    w = marble.generate(None, panorama=pano, preset=TINY, seed=0, models=ModelConfig(depth_model=models["depth"]))
    assert w.provenance.stages["depth"] == "depth-anything:depth_anything"
    assert w.num_splats > 100
