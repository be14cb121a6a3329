"""Routing one generation to the pipeline that makes it.

:func:`generate_world` sends a prompt or a user layout to the embedded text-to-world pipeline, and an
image, or any request with a learned model configured, to :func:`pipelines.learned.run_learned`. Every
route gets the same validated :class:`~marble.options.GenerateOptions`.
"""

from __future__ import annotations

from pathlib import Path

from marble.errors import InputError
from marble.layout import Layout, load_layout
from marble.options import GenerateOptions, resolve_options
from marble.progress import ProgressFn
from marble.world import World


def generate_world(
    prompt: str | None = None,
    *,
    image=None,
    layout: Layout | str | Path | None = None,
    options: GenerateOptions | None = None,
    models=None,
    progress: ProgressFn | None = None,
    **option_kwargs,
) -> World:
    """Generate a World from a prompt, an image or a layout.

    Args:
        prompt: what to make; optional when ``image`` or ``layout`` is given.
        image: a path or PIL image to lift into a world (image-to-world).
        layout: a ``Layout`` or the path of a layout JSON (blockout-to-world).
        options: how to generate (preset, seed, refinement, fidelity, device); or give those as
            keyword arguments (``preset="draft", seed=3, refine_steps=40``...), which are validated
            into one.
        models: a ``pipelines.diffusion.config.ModelConfig`` naming learned models, or ``None``.
        progress: ``(stage, fraction, message)`` callback.

    Raises:
        InputError: no input given, a bad option, a bad prompt or layout file.
    """
    options = resolve_options(options, option_kwargs)
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

        return run_learned(prompt, image=image, layout=layout, options=options, models=models or ModelConfig(),
                           progress=progress)
    from pipelines.text_to_world import TextToWorldPipeline

    pipe = TextToWorldPipeline()
    if layout is not None:
        return pipe.from_layout(layout, prompt=prompt, progress=progress, **options.kwargs()).world
    return pipe(prompt, progress=progress, **options.kwargs()).world
