"""Text to image with a diffusers ``AutoPipelineForText2Image`` (SD 1.5/2.1/XL/Turbo-class)."""

from __future__ import annotations

import numpy as np

from marble.errors import InputError
from pipelines.diffusion.imaging import pipeline_size, to_numpy
from pipelines.diffusion.memory import generator


def default_steps_guidance(name: str, steps: int | None, guidance: float | None) -> tuple[int, float]:
    """Turbo/LCM-class checkpoints: 4 steps, no guidance; others: 30 steps, guidance 7.5."""
    fast = any(k in name.lower() for k in ("turbo", "lcm", "lightning"))
    return (steps if steps is not None else (4 if fast else 30)), (guidance if guidance is not None else (0.0 if fast else 7.5))


class TextToImage:
    """Wraps a text-to-image pipeline.

    Args:
        pipe: a diffusers text-to-image pipeline, already on its device.
        name: provenance label (hub id or folder name).
        steps: inference steps (``None``: 4 for turbo-class names, else 30).
        guidance: classifier-free guidance (``None``: 0 for turbo-class, else 7.5).
    """

    def __init__(self, pipe, *, name: str, steps: int | None = None, guidance: float | None = None) -> None:
        self.pipe = pipe
        self.name = name
        self.steps, self.guidance = default_steps_guidance(name, steps, guidance)

    def __call__(self, prompt: str, *, seed: int = 0, width: int = 512, height: int = 512) -> np.ndarray:
        """Generate one image.

        Returns:
            ``[height, width, 3]`` float32 in [0, 1].
        """
        if not prompt or not prompt.strip():
            raise InputError("`prompt` is empty: text-to-image needs a description")
        h, w = pipeline_size(height, width)
        out = self.pipe(prompt, num_inference_steps=int(self.steps), guidance_scale=float(self.guidance), height=h, width=w,
                        generator=generator(seed), output_type="np")
        img = to_numpy(out.images, (height, width))
        if not np.isfinite(np.asarray(out.images)).all():
            raise InputError(f"text-to-image model `{self.name}` produced NaN pixels; try --dtype fp32")
        return img
