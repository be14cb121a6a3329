"""The capture route of :func:`pipelines.generate.generate_world`: photos or a video -> a World."""

from __future__ import annotations

from marble.options import GenerateOptions
from marble.progress import ProgressFn
from marble.world import World


def capture_world(*, images=None, video=None, prompt: str | None = None, options: GenerateOptions,
                  camera_height: float | None = None, max_frames: int | None = None,
                  progress: ProgressFn | None = None) -> World:
    """Make a world from ``images`` (folder or paths) or ``video`` (a file), with ``options``.

    Raises:
        InputError: bad photos or video, nothing registered (see :mod:`pipelines.capture`).
    """
    from pipelines.capture.pipeline import SFM_MAX_SIDE, CaptureToWorldPipeline
    from pipelines.capture.video import (
        DEFAULT_FRAMES,
        check_max_frames,
        sample_video_frames,
    )

    pipe = CaptureToWorldPipeline()
    kw = {"seed": options.seed, "preset": options.preset, "refine_steps": options.refine_steps,
          "measure_fidelity": options.measure_fidelity, "camera_height": camera_height, "device": options.device, "progress": progress}
    pipe.check_inputs(seed=options.seed, camera_height=camera_height, fit_steps=options.refine_steps)
    if video is None:
        world = pipe(images, **kw).world
    else:
        import os

        n = check_max_frames(max_frames) or DEFAULT_FRAMES.get(options.preset.name, 40)
        frames = sample_video_frames(video, max_frames=n, max_side=SFM_MAX_SIDE.get(options.preset.name, 640),
                                     progress=progress)
        source = {"video": os.path.basename(str(video)), "video_frames": frames.frames_read,
                  "video_seconds": round(frames.duration, 3), "frame_indices": frames.indices}
        world = pipe(photos=frames.photos, source=source, warnings=frames.warnings, **kw).world
    if prompt:
        world.provenance.prompt = prompt
    return world
