"""Routing one generation to the pipeline that makes it.

:func:`generate_world` sends a prompt or a user layout to the embedded text-to-world pipeline, and an
image, or any request with a learned model configured, to :func:`pipelines.learned.run_learned`;
several photos or a video to :mod:`pipelines.capture`, a 360 panorama to
:mod:`pipelines.panorama_to_world`. Every route gets the same validated
:class:`~marble.options.GenerateOptions`.
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
    images=None,
    video=None,
    panorama=None,
    camera_height: float | None = None,
    max_frames: int | None = None,
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
        images: several overlapping photos of one place: a folder or a list of paths (capture-to-world).
        video: a video file walking or orbiting through one place (its frames become the photos).
        panorama: a 2:1 equirectangular 360 panorama (one world seen all round from its centre).
        camera_height: metres the camera was held above the ground (captures and panoramas set
            their scale from it; default 1.6).
        max_frames: most frames sampled from ``video`` (default per preset).
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
    captures = [k for k, v in (("images", images), ("video", video), ("panorama", panorama)) if v is not None]
    if captures and (image is not None or layout is not None):
        captures.insert(0, "image" if image is not None else "layout")
    if len(captures) > 1:
        raise InputError(f"give one input to generate from, got {' and '.join(f'`{k}`' for k in captures)}")
    if prompt is None and not captures and image is None and layout is None:
        raise InputError("nothing to generate from: give a `prompt`, an `image`, `images`, a `video`, a `panorama` "
                         "or a `layout`")
    if images is not None or video is not None:
        from pipelines.capture.route import capture_world

        return capture_world(images=images, video=video, prompt=prompt, options=options, camera_height=camera_height,
                             max_frames=max_frames, progress=progress)
    if panorama is not None:
        from pipelines.panorama_to_world import PanoramaToWorldPipeline

        depth = None
        if models is not None and models.depth_model is not None:  # learned depth per direction when configured
            from pipelines.learned import ModelLoader

            depth = ModelLoader(models, device=options.device).depth_estimator()
        return PanoramaToWorldPipeline(depth_estimator=depth)(panorama, prompt=prompt, camera_height=camera_height,
                                                              progress=progress, **options.kwargs()).world
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
