"""Generation pipelines: layout synthesis, view sources, fusion, and the top-level entry point.

``generate_world`` routes a request to the right pipeline: the embedded text-to-world pipeline for
a prompt or a user layout, and the learned pipelines (``pipelines.learned``) when an image is given
or a model is configured.
"""

from __future__ import annotations

from pathlib import Path

from marble.errors import InputError
from marble.layout import Layout
from marble.limits import check_seed
from marble.presets import Preset, get_preset
from marble.progress import ProgressFn
from marble.world import World


def generate_world(
    prompt: str | None = None,
    *,
    image=None,
    layout: Layout | str | Path | None = None,
    seed: int = 0,
    preset: str | Preset = "standard",
    models=None,
    device: str = "auto",
    progress: ProgressFn | None = None,
    measure_fidelity: bool = False,
    refine_steps: int | None = None,
) -> World:
    """Generate a World from a prompt, an image or a layout.

    Args:
        prompt: what to make; optional when ``image`` or ``layout`` is given.
        image: a path or PIL image to lift into a world (image-to-world).
        layout: a ``Layout`` or the path of a layout JSON (blockout-to-world).
        seed: integer in 0..2**32-1; same inputs + seed + preset -> same world on CPU.
        preset: "draft", "standard", "high" or a ``Preset``.
        models: a ``pipelines.diffusion.config.ModelConfig`` naming learned models, or ``None``.
        device: "auto", "cpu" or "cuda[:N]" for learned components.
        progress: ``(stage, fraction, message)`` callback.
        measure_fidelity: re-render fused splats at the source cameras and record PSNR in provenance.
        refine_steps: optimise the fused splats against their views for this many steps (L1 + D-SSIM,
            Adam); ``None``: the preset's steps on a CUDA GPU, none on the CPU. Prompt and layout
            worlds only (image-to-world ignores it).

    Raises:
        InputError: no input given, bad seed, unknown preset, bad prompt or layout file.
    """
    preset = get_preset(preset)
    check_seed(seed)
    if refine_steps is not None:
        from pipelines.refine import check_steps

        check_steps(refine_steps, "refine_steps")
    if isinstance(layout, (str, Path)):
        layout = load_layout(layout)
    if prompt is not None:
        from marble.text import validate_prompt

        prompt = validate_prompt(prompt)
    if prompt is None and image is None and layout is None:
        raise InputError("nothing to generate from: give a `prompt`, an `image` or a `layout`")
    if image is not None or (models is not None and models.any_model()):
        from pipelines.diffusion.config import ModelConfig
        from pipelines.learned import run_learned

        return run_learned(prompt, image=image, layout=layout, seed=seed, preset=preset,
                           models=models or ModelConfig(), device=device, progress=progress)
    from pipelines.text_to_world import TextToWorldPipeline

    pipe = TextToWorldPipeline()
    if layout is not None:
        return pipe.from_layout(layout, seed=seed, preset=preset, prompt=prompt, progress=progress,
                                measure_fidelity=measure_fidelity, refine_steps=refine_steps).world
    return pipe(prompt, seed=seed, preset=preset, progress=progress, measure_fidelity=measure_fidelity,
                refine_steps=refine_steps).world


def load_layout(path: str | Path) -> Layout:
    """Read a layout JSON written by the editor or ``Layout.to_json``.

    Raises:
        InputError: the file is missing, not JSON, or not a layout.
    """
    import json

    p = Path(path)
    if not p.is_file():
        raise InputError(f"layout file {str(p)!r} does not exist")
    try:
        return Layout.from_dict(json.loads(p.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"layout file {p.name!r} is not valid JSON: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"layout file {p.name!r} is not a Marble layout ({type(exc).__name__}: {exc})") from exc
