"""Which learned models a run should use, and how. Passed from the CLI/app to the pipelines.

The device they run on is not here: it is part of :class:`marble.options.GenerateOptions`, the same for every route.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ModelConfig:
    """Learned-model choices for one run. ``None`` for a model means "not configured".

    Attributes:
        model: text-to-image checkpoint (hub id or local folder), e.g. SD-Turbo.
        depth_model: depth estimator (Depth Anything V2 through transformers, or a Marigold folder).
        controlnet: depth ControlNet (hub id or folder) used to paint layouts.
        inpaint_model: inpainting checkpoint for warp-and-inpaint.
        mode: ``"auto"``, ``"image"`` (text -> image -> lift) or ``"controlnet"`` (paint the layout).
        dtype: ``"auto"`` (fp16 on CUDA, fp32 on CPU), ``"fp32"``, ``"fp16"``, ``"bf16"``.
        steps: diffusion inference steps (``None``: the pipeline's default for the checkpoint).
        guidance: classifier-free guidance scale (``None``: the default for the checkpoint).
        fallback: use the embedded default when a model is missing (else exit with code 2).
        cache_dir: where to look for downloaded weights (defaults to the Hugging Face cache).
        cpu_offload: enable model CPU offload on CUDA to save memory.
        attention_slicing: enable attention slicing to save memory.
        trajectory: image-to-world camera path, ``"ring"`` (360 degrees on the spot) or ``"walk"``.
        num_views: image-to-world views including the input (``None``: the preset's count).
    """

    model: str | None = None
    depth_model: str | None = None
    controlnet: str | None = None
    inpaint_model: str | None = None
    mode: str = "auto"
    dtype: str = "auto"
    steps: int | None = None
    guidance: float | None = None
    fallback: bool = True
    cache_dir: str | None = None
    cpu_offload: bool = False
    attention_slicing: bool = False
    trajectory: str = "ring"
    num_views: int | None = None

    def any_model(self) -> bool:
        """True when at least one learned model is configured."""
        return any(m is not None for m in (self.model, self.depth_model, self.controlnet, self.inpaint_model))
