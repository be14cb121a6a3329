"""Learned depth: Depth Anything V2 (transformers ``AutoModelForDepthEstimation``) and Marigold."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from marble.camera import Camera
from marble.errors import InputError
from pipelines.lift.estimators import DepthEstimate

_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def _check_output(pred: np.ndarray, name: str) -> np.ndarray:
    if not np.isfinite(pred).any():
        raise InputError(f"depth model `{name}` returned a depth map full of NaN/inf; try --dtype fp32 or another model")
    if not np.isfinite(pred).all():
        pred = np.where(np.isfinite(pred), pred, np.nanmedian(np.where(np.isfinite(pred), pred, np.nan)))
    return pred.astype(np.float32)


class TransformersDepth:
    """Relative (or metric) depth from a transformers depth-estimation model.

    Depth Anything's ``relative`` checkpoints predict inverse depth (``space="disparity"``);
    ``metric`` ones predict metres.

    Args:
        model: ``AutoModelForDepthEstimation`` instance on its device.
        processor: its image processor, or ``None`` (resize to a multiple of 14 and ImageNet-normalise).
        name: provenance label.
        input_size: side used when there is no processor.
    """

    def __init__(self, model, processor=None, *, name: str, input_size: int = 518) -> None:
        self.model = model
        self.processor = processor
        self.name = name
        self.input_size = input_size
        kind = getattr(model.config, "depth_estimation_type", "relative")
        self.space = "metric" if kind == "metric" else "disparity"

    @torch.no_grad()
    def estimate(self, rgb: np.ndarray, *, camera: Camera | None = None) -> DepthEstimate:
        """``[H, W, 3]`` image -> :class:`DepthEstimate` at the same resolution."""
        img = np.asarray(rgb, np.float32)
        h, w = img.shape[:2]
        param = next(self.model.parameters())
        if self.processor is not None:
            pix = self.processor(images=(np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8), return_tensors="pt")["pixel_values"]
        else:
            s = self.input_size / max(h, w)
            th, tw = (max(14, int(round(h * s / 14)) * 14), max(14, int(round(w * s / 14)) * 14))
            t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None]
            pix = (F.interpolate(t, size=(th, tw), mode="bicubic", align_corners=False).clamp(0, 1) - _MEAN) / _STD
        pred = self.model(pixel_values=pix.to(param.device, param.dtype)).predicted_depth
        pred = F.interpolate(pred.float()[:, None] if pred.ndim == 3 else pred.float(), size=(h, w), mode="bilinear",
                             align_corners=False)[0, 0]
        out = _check_output(pred.cpu().numpy(), self.name)
        if self.space == "disparity":
            out = np.maximum(out, 0.0)
        return DepthEstimate(values=out, space=self.space, sky=None)


class MarigoldDepth:
    """Affine-invariant depth from a diffusers ``MarigoldDepthPipeline`` (``space="depth"``).

    Args:
        pipe: the pipeline on its device.
        name: provenance label.
        steps: denoising steps (``None``: the checkpoint's default).
        ensemble_size: predictions averaged per image.
        seed: noise seed (determinism).
    """

    def __init__(self, pipe, *, name: str, steps: int | None = None, ensemble_size: int = 1, seed: int = 0) -> None:
        self.pipe = pipe
        self.name = name
        self.steps = steps
        self.ensemble_size = ensemble_size
        self.seed = seed
        self.space = "depth"

    def estimate(self, rgb: np.ndarray, *, camera: Camera | None = None) -> DepthEstimate:
        from pipelines.diffusion.memory import generator

        img = np.asarray(rgb, np.float32)
        t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None]
        out = self.pipe(t, num_inference_steps=self.steps, ensemble_size=self.ensemble_size, generator=generator(self.seed),
                        output_type="np", match_input_resolution=True)
        pred = np.asarray(out.prediction, np.float32).reshape(img.shape[0], img.shape[1])
        return DepthEstimate(values=_check_output(pred, self.name), space="depth", sky=None)
