"""Depth-ControlNet painting of rendered layout views, view by view, so that the views agree.

The first view is painted from its depth alone. Every later view first receives what earlier views
already painted, forward-warped through the exact layout depth (:class:`~pipelines.lift.warp.SurfaceCache`);
the pixels nobody has painted yet (plus a thin seam) are painted by the ControlNet inpainting
pipeline with the warped image as init image and the holes as mask, conditioned on the view's
depth. Known pixels keep the colours already painted, so fused splats see one consistent world.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from marble.layout import Layout
from marble.progress import ProgressFn, report
from marble.view import View
from pipelines.diffusion.imaging import (
    depth_to_control,
    pipeline_size,
    to_numpy,
    to_tensor,
)
from pipelines.diffusion.memory import generator
from pipelines.diffusion.text2image import default_steps_guidance


class ControlNetPainter:
    """Implements the ``Painter`` interface of :class:`pipelines.text_to_world.TextToWorldPipeline`.

    Args:
        pipe: a ``StableDiffusionControlNetPipeline`` (or SDXL variant) on its device.
        inpaint_pipe: the matching ControlNet inpainting pipeline; built with ``from_pipe`` when ``None``.
        name: provenance label, e.g. ``"controlnet:lllyasviel/control_v11f1p_sd15_depth"``.
        steps, guidance: inference steps and guidance (``None``: checkpoint-class defaults).
        conditioning_scale: ControlNet strength.
        min_new_fraction: a view whose holes cover less than this is only seam-blended, not repainted.
        grow: pixels the hole mask is dilated by so seams get repainted.
    """

    def __init__(self, pipe, *, inpaint_pipe=None, name: str, steps: int | None = None, guidance: float | None = None,
                 conditioning_scale: float = 1.0, min_new_fraction: float = 0.002, grow: int = 2) -> None:
        self.pipe = pipe
        self._inpaint_pipe = inpaint_pipe
        self.name = name
        self.steps, self.guidance = default_steps_guidance(name, steps, guidance)
        self.conditioning_scale = conditioning_scale
        self.min_new_fraction = min_new_fraction
        self.grow = grow
        self.stats: list[dict] = []

    @property
    def inpaint_pipe(self):
        if self._inpaint_pipe is None:
            from diffusers import (
                StableDiffusionControlNetInpaintPipeline,
                StableDiffusionXLControlNetInpaintPipeline,
                StableDiffusionXLControlNetPipeline,
            )

            cls = (StableDiffusionXLControlNetInpaintPipeline if isinstance(self.pipe, StableDiffusionXLControlNetPipeline)
                   else StableDiffusionControlNetInpaintPipeline)
            self._inpaint_pipe = cls.from_pipe(self.pipe)
            if hasattr(self._inpaint_pipe, "set_progress_bar_config"):
                self._inpaint_pipe.set_progress_bar_config(disable=True)
        return self._inpaint_pipe

    def paint(self, views: list[View], *, prompt: str, layout: Layout | None = None, seed: int = 0,
              progress: ProgressFn | None = None) -> list[View]:
        """Repaint ``views`` (same cameras, depth and ids; new ``rgb``), each consistent with the earlier ones.

        Args:
            views: rendered views with exact depth (``inf`` for sky).
            prompt: what to paint.
            layout: the layout the views were rendered from (its archetype enriches the prompt).
            seed: view ``i`` uses ``seed + i``.
            progress: ``(stage, fraction, message)`` callback, stage ``"paint"``.
        """
        from pipelines.lift.warp import SurfaceCache

        text = prompt or (layout.environment.archetype.replace("_", " ") if layout is not None else "a landscape")
        cache = SurfaceCache()
        out: list[View] = []
        self.stats = []
        report(progress, "paint", 0.0)
        for i, v in enumerate(views):
            h, w = v.depth.shape
            ph, pw = pipeline_size(h, w)
            control = to_tensor(depth_to_control(v.depth), (ph, pw))
            common = dict(num_inference_steps=int(self.steps), guidance_scale=float(self.guidance),
                          controlnet_conditioning_scale=float(self.conditioning_scale), height=ph, width=pw,
                          generator=generator(seed + i), output_type="np")
            warp = cache.render(v.camera) if i > 0 else None
            if warp is None or warp.coverage < 0.02:
                res = self.pipe(text, image=control, **common)
                rgb = to_numpy(res.images, (h, w))
                hole = np.ones((h, w), bool)
                mode = "txt2img"
            else:
                hole = warp.hole
                if hole.mean() < self.min_new_fraction:
                    rgb = _fill_small(warp.rgb, hole)
                    mode = "warp"
                else:
                    from pipelines.lift.inpaint import inpaint_classical

                    grown = ndimage.binary_dilation(hole, iterations=self.grow)
                    init = inpaint_classical(warp.rgb, hole, method="auto")
                    res = self.inpaint_pipe(text, image=to_tensor(init, (ph, pw)),
                                            mask_image=to_tensor(grown.astype(np.float32), (ph, pw)),
                                            control_image=control, strength=1.0, **common)
                    painted = to_numpy(res.images, (h, w))
                    rgb = np.where(grown[..., None], painted, warp.rgb)
                    hole = grown
                    mode = "inpaint"
            rgb = rgb.astype(np.float32)
            cache.add(rgb, v.depth, v.camera, object_ids=v.object_ids, layer_names=v.layer_names,
                      include=None if i == 0 else ndimage.binary_dilation(hole, iterations=1))
            out.append(View(camera=v.camera, rgb=rgb, depth=v.depth, object_ids=v.object_ids, layer_names=list(v.layer_names),
                            normals=v.normals, confidence=v.confidence, source="controlnet-depth"))
            self.stats.append({"view": v.camera.name, "mode": mode, "new_fraction": float(hole.mean())})
            report(progress, "paint", (i + 1) / len(views), f"view {i + 1}/{len(views)} ({mode})")
        return out


def _fill_small(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    from pipelines.lift.inpaint import inpaint_classical

    return inpaint_classical(rgb, hole, method="telea") if hole.any() else rgb
