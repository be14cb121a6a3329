"""Diffusion inpainting (``AutoPipelineForInpainting``) for the warp-and-inpaint loop."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from pipelines.diffusion.imaging import pipeline_size, to_numpy, to_tensor
from pipelines.diffusion.memory import generator
from pipelines.diffusion.text2image import default_steps_guidance


class DiffusionInpainter:
    """Fills holes with a diffusion inpainting pipeline; same interface as ``ClassicalInpainter``.

    Args:
        pipe: a diffusers inpainting pipeline on its device.
        name: provenance label.
        steps, guidance: as in :class:`~pipelines.diffusion.text2image.TextToImage`.
        grow: pixels the mask is dilated by so the seam is repainted too.
        default_prompt: used when the caller gives none.
    """

    def __init__(self, pipe, *, name: str, steps: int | None = None, guidance: float | None = None, grow: int = 2,
                 default_prompt: str = "a photo of the same place, natural light") -> None:
        self.pipe = pipe
        self.name = name
        self.steps, self.guidance = default_steps_guidance(name, steps, guidance)
        self.grow = grow
        self.default_prompt = default_prompt

    def inpaint(self, rgb: np.ndarray, mask: np.ndarray, *, prompt: str | None = None, seed: int = 0) -> np.ndarray:
        """``rgb [H, W, 3]`` with ``mask [H, W]`` pixels repainted -> ``[H, W, 3]`` float32.

        Pixels outside the (grown) mask are returned unchanged.
        """
        from pipelines.lift.inpaint import inpaint_classical

        m = np.asarray(mask, bool)
        if not m.any():
            return np.asarray(rgb, np.float32).copy()
        h, w = m.shape
        grown = ndimage.binary_dilation(m, iterations=self.grow) if self.grow else m
        init = inpaint_classical(rgb, m, method="auto")  # a plausible start for the masked latents
        ph, pw = pipeline_size(h, w)
        out = self.pipe(
            prompt or self.default_prompt, image=to_tensor(init, (ph, pw)),
            mask_image=to_tensor(grown.astype(np.float32), (ph, pw)), height=ph, width=pw,
            num_inference_steps=int(self.steps), guidance_scale=float(self.guidance), strength=1.0,
            generator=generator(seed), output_type="np",
        )
        painted = to_numpy(out.images, (h, w))
        return np.where(grown[..., None], painted, np.asarray(rgb, np.float32)).astype(np.float32)
