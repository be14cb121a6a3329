"""The embedded text-to-world pipeline: prompt -> SceneSpec -> Layout -> views -> fused splats -> World.

Runs with no weights, no GPU and no network: prompt understanding uses the packaged MiniLM sentence
embeddings, the layout and materials are procedural, views are ray cast on the CPU. A ``painter``
(e.g. the depth-ControlNet painter) may repaint the rendered views before fusion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from marble.layout import Layout, SceneSpec
from marble.options import resolve_refine_steps
from marble.presets import Preset, get_preset
from marble.progress import ProgressFn, report
from marble.view import View
from marble.world import Provenance, World
from pipelines.assemble import AssemblyInputs, assemble_world
from pipelines.views.shading import environment_for


class Painter(Protocol):
    """Repaints rendered views (same cameras, depth and ids; new ``rgb``)."""

    name: str

    def paint(self, views: list[View], *, prompt: str, layout: Layout, seed: int, progress: ProgressFn | None = None) -> list[View]: ...


@dataclass
class TextToWorldOutput:
    """Result of :class:`TextToWorldPipeline`.

    Attributes:
        world: the generated world.
        spec: the parsed prompt (``None`` when built from a user layout).
        layout: the layout the world was built from.
        views: the views that were fused (kept for refinement and fidelity checks).
        timings: stage -> seconds.
        metrics: e.g. ``{"fusion_psnr_db": 29.3}`` when fidelity was measured.
    """

    world: World
    spec: SceneSpec | None
    layout: Layout
    views: list[View]
    timings: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)


class TextToWorldPipeline:
    """Prompt (or user layout) to World, on the embedded procedural components.

    Args:
        painter: optional view painter run between rendering and fusion; ``None`` keeps the
            procedural shading.
    """

    def __init__(self, painter: Painter | None = None) -> None:
        self.painter = painter

    def check_inputs(self, prompt: str, seed: int) -> str:
        from marble.limits import check_seed
        from marble.text import validate_prompt

        check_seed(seed)
        return validate_prompt(prompt)

    def __call__(
        self,
        prompt: str,
        *,
        seed: int = 0,
        preset: str | Preset = "standard",
        progress: ProgressFn | None = None,
        measure_fidelity: bool = False,
        refine_steps: int | None = None,
    ) -> TextToWorldOutput:
        """Generate a world from ``prompt``.

        Args:
            prompt: free text, e.g. "a cabin in a snowy pine forest at sunset".
            seed: same prompt + seed + preset -> same world, bit for bit on CPU.
            preset: "draft", "standard" or "high" (or a Preset).
            progress: ``(stage, fraction, message)`` callback.
            measure_fidelity: re-render the fused splats at the source cameras and record PSNR.
            refine_steps: optimise the fused splats against the views for this many steps
                (:func:`pipelines.refine.refine_world`); ``None``: the preset's steps on CUDA, none on CPU.
        """
        prompt = self.check_inputs(prompt, seed)
        preset = get_preset(preset)
        refine_steps = resolve_refine_steps(refine_steps, preset)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        report(progress, "parse", 0.0)
        from marble.text import parse_prompt

        spec = parse_prompt(prompt)
        timings["parse"] = time.perf_counter() - t0
        report(progress, "parse", 1.0, spec.archetype)

        t0 = time.perf_counter()
        report(progress, "layout", 0.0)
        from pipelines.procedural import synthesize_layout

        layout = synthesize_layout(spec, seed=seed, preset=preset)
        timings["layout"] = time.perf_counter() - t0
        report(progress, "layout", 1.0, f"{len(layout.objects)} objects")
        out = self._build(layout, spec=spec, prompt=prompt, seed=seed, preset=preset, progress=progress,
                          measure_fidelity=measure_fidelity, timings=timings, refine_steps=refine_steps)
        return out

    def from_layout(
        self,
        layout: Layout,
        *,
        seed: int | None = None,
        preset: str | Preset = "standard",
        prompt: str | None = None,
        progress: ProgressFn | None = None,
        measure_fidelity: bool = False,
        refine_steps: int | None = None,
    ) -> TextToWorldOutput:
        """Generate a world from a user's layout (a blockout edited in the app or loaded from JSON)."""
        preset = get_preset(preset)
        refine_steps = resolve_refine_steps(refine_steps, preset)
        seed = layout.seed if seed is None else seed
        if prompt is None and layout.spec is not None:
            prompt = layout.spec.prompt
        return self._build(layout, spec=layout.spec, prompt=prompt or "", seed=seed, preset=preset,
                           progress=progress, measure_fidelity=measure_fidelity, timings={"parse": 0.0, "layout": 0.0},
                           refine_steps=refine_steps)

    def _build(self, layout, *, spec, prompt, seed, preset, progress, measure_fidelity, timings,
               refine_steps: int = 0) -> TextToWorldOutput:
        from pipelines.procedural import build_scene_geometry
        from pipelines.views import camera_rig, render_views

        t0 = time.perf_counter()
        report(progress, "geometry", 0.0)
        geometry = build_scene_geometry(layout, detail=preset.mesh_subdivisions)
        timings["geometry"] = time.perf_counter() - t0
        report(progress, "geometry", 1.0, f"{sum(len(g.mesh.faces) for g in geometry):,} triangles")

        t0 = time.perf_counter()
        cameras = camera_rig(layout, preset=preset, seed=seed)
        # Views are rendered only when something needs them: a painter repaints them, refinement
        # fits to them, the fidelity check compares with them. The procedural colours themselves
        # come straight from the geometry (coverage below).
        need_views = self.painter is not None or bool(refine_steps) or measure_fidelity
        views = render_views(layout, geometry, cameras, seed=seed, progress=_sub(progress, "views")) if need_views else []
        timings["views"] = time.perf_counter() - t0

        painter_name = "procedural"
        if self.painter is not None:
            t0 = time.perf_counter()
            views = self.painter.paint(views, prompt=prompt, layout=layout, seed=seed, progress=_sub(progress, "paint"))
            painter_name = getattr(self.painter, "name", type(self.painter).__name__)
            timings["paint"] = time.perf_counter() - t0

        environment = environment_for(layout)
        t0 = time.perf_counter()
        gaussians, sky, coverage_stats, fusion_name = _splats(layout, geometry, views, painted=self.painter is not None,
                                                              preset=preset, seed=seed, environment=environment,
                                                              progress=progress)
        timings["fusion"] = time.perf_counter() - t0
        for k, v in (coverage_stats.pop("timings", None) or {}).items():  # timings stay out of the bundle
            timings[f"coverage_{k}"] = v

        t0 = time.perf_counter()
        report(progress, "assemble", 0.0)
        provenance = Provenance(
            prompt=prompt or None,
            seed=seed,
            preset=preset.name,
            inputs={"prompt": prompt, "layout_objects": len(layout.objects)},
            stages={
                "text": "minilm-embeddings" if spec is not None else "user-layout",
                "layout": "procedural" if spec is not None else "user-layout",
                "views": "open3d-raycast",
                "paint": painter_name,
                "fusion": fusion_name,
            },
            versions=Provenance.collect_versions(),
            report=prompt_report(layout),
        )
        world = assemble_world(
            gaussians, sky=sky, inputs=AssemblyInputs(geometry=geometry), layout=layout,
            environment=environment, cameras=cameras, provenance=provenance, seed=seed, preset=preset,
        )
        if fusion_name == "surface-coverage":  # colours without fog: viewers add it by distance
            _mark_live_fog(world, layout, gaussians)
        if sky is not None and "sky" in world:  # the dome is the environment's sky and nothing else
            from marble.sky import ENVIRONMENT_SKY_KEY

            world.layer("sky").meta[ENVIRONMENT_SKY_KEY] = True
        timings["assemble"] = time.perf_counter() - t0
        report(progress, "assemble", 1.0, f"{world.num_splats:,} splats")

        metrics: dict = {"coverage": coverage_stats}
        if refine_steps:
            from pipelines.refine import refine_world

            t0 = time.perf_counter()
            r = refine_world(world, views, steps=refine_steps, seed=seed, progress=_sub(progress, "refine"))
            timings["refine"] = time.perf_counter() - t0
            metrics["refine_psnr_before_db"] = round(r.psnr_before, 3)
            metrics["refine_psnr_after_db"] = round(r.psnr_after, 3)
        if measure_fidelity:
            from pipelines.fusion import fusion_psnr

            t0 = time.perf_counter()
            metrics["fusion_psnr"] = fusion_psnr(world, views, environment=environment)
            timings["fidelity"] = time.perf_counter() - t0
        world.provenance.timings = {k: round(v, 4) for k, v in timings.items()}
        world.provenance.metrics = _jsonable(metrics)
        return TextToWorldOutput(world=world, spec=spec, layout=layout, views=views, timings=timings, metrics=metrics)


def prompt_report(layout: Layout) -> dict:
    """The layout's account of its prompt (built / approximated / not built, see ``marble.text.report``)."""
    spec = layout.spec
    return dict(spec.report) if spec is not None and spec.report else {}


def _splats(layout, geometry, views, *, painted: bool, preset, seed, environment, progress):
    """Splats per layer and the sky dome: sampled on the known geometry, plus painted views.

    Without a painter every splat comes from the surfaces themselves
    (:func:`pipelines.fusion.surface.surface_splats`): complete from anywhere in the walkable
    region, coloured exactly as the views would be. With a painter the painted views are fused
    and the surfaces no view saw are filled from the geometry, within the same splat cap.

    Returns:
        ``(gaussians {layer: Gaussians}, sky Gaussians, coverage stats, fusion stage name)``.
    """
    from pipelines.fusion import fuse_views
    from pipelines.fusion.sky import sky_dome
    from pipelines.fusion.surface import merge_unseen, surface_splats
    from pipelines.procedural.terrain import far_field_radius
    from pipelines.views.walkable import walkable_region

    region = walkable_region(layout)
    centre = np.array([(region.x0 + region.x1) / 2, region.eye_height, (region.z0 + region.z1) / 2])
    radius = 1.2 * far_field_radius(layout) if not layout.environment.indoor else 60.0
    sky = sky_dome([], count=int(preset.sky_splats), centre=centre, radius=radius, environment=environment, seed=seed)
    if not painted:
        gaussians, stats = surface_splats(geometry, layout, budget=int(preset.max_splats), min_spacing=float(preset.voxel_size),
                                          seed=seed, live_fog=True, progress=_sub(progress, "coverage"))
        return gaussians, sky, stats, "surface-coverage"
    fused = fuse_views(views, preset=preset, seed=seed, environment=environment, progress=_sub(progress, "fusion"), sky=False)
    room = max(int(preset.max_splats) - sum(g.num_splats for g in fused.gaussians.values()), 0)
    stats = {"fused": sum(g.num_splats for g in fused.gaussians.values())}
    if room:
        surface, stats_s = surface_splats(geometry, layout, budget=room * 3, min_spacing=float(preset.voxel_size),
                                          seed=seed, progress=_sub(progress, "coverage"))
        merged, added = merge_unseen(fused.gaussians, surface, spacing=stats_s["spacing_m"], budget=room, seed=seed)
        stats.update(stats_s, filled=added)
        return merged, sky, stats, "voxel-merge+surface-fill"
    return fused.gaussians, sky, stats, "voxel-merge"


def _mark_live_fog(world, layout, gaussians: dict) -> None:
    """Flag the layers whose splats were coloured without fog (``marble.render.fog``)."""
    from marble.render.fog import META_KEY, live_flag
    from pipelines.fusion.surface import fog_view
    from pipelines.views.walkable import walkable_region

    flag = live_flag(*fog_view(walkable_region(layout)))
    for name in gaussians:
        if name in world:
            world.layer(name).meta[META_KEY] = dict(flag)


def _sub(progress: ProgressFn | None, stage: str) -> ProgressFn | None:
    """Forward a component's progress under one stage name."""
    if progress is None:
        return None
    return lambda _stage, fraction, message="": progress(stage, fraction, message)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item"):
        return obj.item()
    return obj
