"""Routing for learned generation: image-to-world, text-to-world (two modes) and blockout-to-world.

:func:`run_learned` is what ``pipelines.generate_world`` calls when an image is given or a model is
configured. It loads models through :mod:`pipelines.diffusion.registry`, falls back to the embedded
components (geometric depth, classical inpainting, procedural painter) when a model is unavailable
and ``ModelConfig.fallback`` is on, and records in ``world.provenance.stages`` which component ran
each stage.
"""

from __future__ import annotations

import time

import torch

from marble.errors import InputError, ModelUnavailableError
from marble.layout import Layout
from marble.options import GenerateOptions, resolve_options
from marble.progress import ProgressFn, report
from marble.world import World
from pipelines.diffusion.config import ModelConfig

MODES = ("auto", "image", "controlnet")


class ModelLoader:
    """Loads the learned components a :class:`ModelConfig` names, with fallbacks.

    Attributes:
        device: the torch device models run on.
        dtype: their dtype.
        notes: one line per model that was unavailable and replaced by the embedded default.
    """

    def __init__(self, models: ModelConfig, *, device: str | torch.device = "auto") -> None:
        from pipelines.diffusion.memory import resolve_device, resolve_dtype

        self.models = models
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(models.dtype, self.device)
        self.notes: list[str] = []

    def _resolve(self, name: str, kind: str):
        from pipelines.diffusion.registry import resolve_model

        try:
            return resolve_model(name, kind=kind, cache_dir=self.models.cache_dir)
        except ModelUnavailableError as exc:
            if not self.models.fallback:
                raise ModelUnavailableError(f"{exc} (fallback is off: --fallback to use the embedded default)") from exc
            self.notes.append(str(exc))
            return None

    def _place(self, pipe):
        from pipelines.diffusion.memory import place

        return place(pipe, device=self.device, cpu_offload=self.models.cpu_offload,
                     attention_slicing=self.models.attention_slicing)

    # ------------------------------------------------------------------ components
    def depth_estimator(self):
        """Learned depth when configured and present, else the geometric estimator."""
        from pipelines.lift.estimators import GeometricDepthEstimator

        if self.models.depth_model is None:
            return GeometricDepthEstimator()
        resolved = self._resolve(self.models.depth_model, "depth")
        if resolved is None:
            est = GeometricDepthEstimator()
            est.name = "geometric (fallback)"
            return est
        from pipelines.diffusion.depth import MarigoldDepth, TransformersDepth
        from pipelines.diffusion.registry import load_depth

        model, processor = load_depth(resolved, torch_dtype=self.dtype)
        if resolved.family == "marigold":
            return MarigoldDepth(self._place(model), name=f"marigold:{resolved.label}", steps=self.models.steps)
        model = model.to(self.device)
        return TransformersDepth(model, processor, name=f"depth-anything:{resolved.label}")

    def inpainter(self):
        """Diffusion inpainting when configured and present, else classical (Telea / rows)."""
        from pipelines.lift.inpaint import ClassicalInpainter

        if self.models.inpaint_model is None:
            return ClassicalInpainter("auto")
        resolved = self._resolve(self.models.inpaint_model, "inpaint")
        if resolved is None:
            inp = ClassicalInpainter("auto")
            inp.method = "auto"
            return _Renamed(inp, "telea+rows (fallback)")
        from pipelines.diffusion.inpaint import DiffusionInpainter
        from pipelines.diffusion.registry import load_inpaint

        pipe = self._place(load_inpaint(resolved, torch_dtype=self.dtype))
        return DiffusionInpainter(pipe, name=f"diffusion:{resolved.label}", steps=self.models.steps,
                                  guidance=self.models.guidance)

    def text2image(self):
        """The text-to-image component, or ``None`` when unavailable (fallback on)."""
        if self.models.model is None:
            return None
        resolved = self._resolve(self.models.model, "text2image")
        if resolved is None:
            return None
        from pipelines.diffusion.registry import load_text2image
        from pipelines.diffusion.text2image import TextToImage

        pipe = self._place(load_text2image(resolved, torch_dtype=self.dtype))
        return TextToImage(pipe, name=f"text2image:{resolved.label}", steps=self.models.steps, guidance=self.models.guidance)

    def painter(self):
        """A :class:`ControlNetPainter` (base model + depth ControlNet), or ``None`` when unavailable."""
        from pipelines.diffusion.registry import (
            DEFAULT_MODELS,
            load_controlnet,
            load_text2image,
        )

        if self.models.controlnet is None:
            return None
        cn_resolved = self._resolve(self.models.controlnet, "controlnet")
        base_name = self.models.model or DEFAULT_MODELS["controlnet_base"]
        base_resolved = self._resolve(base_name, "text2image") if cn_resolved is not None else None
        if cn_resolved is None or base_resolved is None:
            return None
        from diffusers import (
            StableDiffusionControlNetPipeline,
            StableDiffusionXLControlNetPipeline,
            StableDiffusionXLPipeline,
        )

        from pipelines.diffusion.controlnet import ControlNetPainter

        base = load_text2image(base_resolved, torch_dtype=self.dtype)
        controlnet = load_controlnet(cn_resolved, torch_dtype=self.dtype)
        cls = StableDiffusionXLControlNetPipeline if isinstance(base, StableDiffusionXLPipeline) else StableDiffusionControlNetPipeline
        try:
            pipe = cls.from_pipe(base, controlnet=controlnet)
        except (ValueError, TypeError, AttributeError) as exc:
            raise InputError(f"ControlNet `{self.models.controlnet}` does not fit base model `{base_name}`: {exc}") from exc
        return ControlNetPainter(self._place(pipe), name=f"controlnet:{cn_resolved.label}", steps=self.models.steps,
                                 guidance=self.models.guidance)


class _Renamed:
    """An inpainter under another provenance name."""

    def __init__(self, inner, name: str) -> None:
        self.inner = inner
        self.name = name

    def inpaint(self, rgb, mask, *, prompt=None, seed=0):
        return self.inner.inpaint(rgb, mask, prompt=prompt, seed=seed)


def choose_mode(models: ModelConfig, *, image, layout) -> str:
    """``"image"`` (lift an image), ``"text-image"`` (text -> image -> lift), ``"controlnet"``
    (paint the layout) or ``"procedural"``."""
    mode = (models.mode or "auto").strip().lower()
    if mode not in MODES:
        raise InputError(f"`mode` must be one of {', '.join(MODES)}, got {models.mode!r}")
    if image is not None:
        return "image"
    if layout is not None:
        return "controlnet" if models.controlnet is not None else "procedural"
    if mode == "auto":
        return "controlnet" if models.controlnet is not None else ("text-image" if models.model is not None else "procedural")
    if mode == "controlnet":
        if models.controlnet is None:
            raise InputError("`mode` controlnet needs a depth ControlNet: pass --controlnet ID_OR_FOLDER")
        return "controlnet"
    if models.model is None:
        raise InputError("`mode` image needs a text-to-image model: pass --model ID_OR_FOLDER")
    return "text-image"


def run_learned(
    prompt: str | None,
    *,
    image=None,
    layout: Layout | None = None,
    options: GenerateOptions | None = None,
    models: ModelConfig | None = None,
    progress: ProgressFn | None = None,
    **option_kwargs,
) -> World:
    """Generate a World with learned components (see module docs for the routing).

    Args:
        prompt: text (optional with ``image`` or ``layout``).
        image: a photo to lift (path, bytes, PIL image or array).
        layout: a user's blockout to paint (BlockoutToWorld).
        options: preset, seed, refinement steps, fidelity and device, the same for every route (or give
            them as keyword arguments: ``preset="draft", seed=3, refine_steps=40``...).
        models: which models; ``None`` means none (embedded components only).
        progress: ``(stage, fraction, message)`` callback.

    Raises:
        InputError: bad options or a model folder of the wrong kind.
        ModelUnavailableError: a model is missing and ``models.fallback`` is off.
    """
    options = resolve_options(options, option_kwargs)
    models = models or ModelConfig()
    preset, seed = options.preset, options.seed
    mode = choose_mode(models, image=image, layout=layout)
    loader = ModelLoader(models, device=options.device)
    t0 = time.perf_counter()
    stages: dict[str, str] = {}
    metrics: dict = {}
    world: World

    if mode in ("image", "text-image"):
        from pipelines.image_to_world import ImageToWorldPipeline

        source = image
        if mode == "text-image":
            t2i = loader.text2image()
            if t2i is None:
                world = _procedural(prompt, layout=None, options=options, painter=None, progress=progress)
                stages["text2image"] = "unavailable -> procedural"
                return _finish(world, stages, loader, mode="procedural (fallback)", t0=t0, metrics=metrics)
            report(progress, "text2image", 0.0)
            source = t2i(prompt, seed=seed, width=preset.view_width, height=preset.view_height)
            report(progress, "text2image", 1.0)
            stages["text2image"] = t2i.name
        pipe = ImageToWorldPipeline(depth_estimator=loader.depth_estimator(), inpainter=loader.inpainter())
        out = pipe(source, prompt=prompt, trajectory=models.trajectory, num_views=models.num_views,
                   progress=progress, **options.kwargs())
        world = out.world
        metrics = {k: v for k, v in out.metrics.items() if isinstance(v, (int, float))}
    else:
        painter = loader.painter() if mode == "controlnet" else None
        if mode == "controlnet" and painter is None:
            stages["paint_fallback"] = "controlnet unavailable -> procedural"
        world = _procedural(prompt, layout=layout, options=options, painter=painter, progress=progress)
        if painter is not None:
            metrics["paint_views"] = len(painter.stats)
    return _finish(world, stages, loader, mode=mode, t0=t0, metrics=metrics)


def _procedural(prompt, *, layout, options: GenerateOptions, painter, progress) -> World:
    from pipelines.text_to_world import TextToWorldPipeline

    pipe = TextToWorldPipeline(painter=painter)
    if layout is not None:
        return pipe.from_layout(layout, prompt=prompt, progress=progress, **options.kwargs()).world
    if not prompt:
        raise InputError("nothing to generate from: give a `prompt`, an `image` or a `layout`")
    return pipe(prompt, progress=progress, **options.kwargs()).world


def _finish(world: World, stages: dict, loader: ModelLoader, *, mode: str, t0: float, metrics: dict) -> World:
    prov = world.provenance
    prov.stages.update(stages)
    prov.inputs = dict(prov.inputs)
    prov.inputs["mode"] = mode
    prov.inputs["device"] = str(loader.device)
    prov.inputs["dtype"] = str(loader.dtype).replace("torch.", "")
    if loader.notes:
        prov.inputs["model_notes"] = list(loader.notes)
    prov.metrics = dict(prov.metrics)
    prov.metrics.update(metrics)
    prov.timings = dict(prov.timings)
    prov.timings["learned_total"] = round(time.perf_counter() - t0, 4)
    return world
