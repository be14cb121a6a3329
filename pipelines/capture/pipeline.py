"""CaptureToWorld: several photos (or a video's frames) -> cameras -> splats fitted to the photos.

    out = CaptureToWorldPipeline()(images="photos/", preset="draft")
    out.world.save("capture.marble")
    print(out.metrics["registered"], "of", out.metrics["photos"], "photos placed")
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from marble.errors import InputError
from marble.limits import check_seed
from marble.presets import Preset, get_preset
from marble.progress import ProgressFn, report
from marble.world import Layer, Provenance, World

SFM_MAX_SIDE = {"draft": 640, "standard": 640, "high": 1024}
"""Long side (pixels) photos are matched at: SIFT on a synthetic 320 px capture registered nothing."""
FIT_MAX_SIDE = {"draft": 256, "standard": 320, "high": 640}
INIT_SPLATS = {"draft": 40_000, "standard": 150_000, "high": 500_000}
FIT_STEPS_CPU = {"draft": 30, "standard": 100, "high": 300}
FIT_STEPS_CUDA = {"draft": 500, "standard": 2000, "high": 7000}
"""Fitting steps when the user gives none (``--refine``): fitting is what makes a capture look
like its photos, so unlike generated worlds it runs on the CPU too, briefly (a step there costs
1-3 s at 256 px with 40k splats on 2 cores); on CUDA gsplat makes thousands of steps cheap."""
LOW_REGISTRATION = 0.9
CAPTURE_LAYER = "capture"


@dataclass
class CaptureOutput:
    """Result of :class:`CaptureToWorldPipeline`.

    Attributes:
        world: the world (layer ``capture``; the sky in its environment; one camera per registered photo).
        views: the registered photos as views (world-frame cameras).
        sfm: the :class:`~pipelines.capture.sfm.SfmResult` (COLMAP frame).
        alignment: the :class:`~pipelines.capture.align.Alignment` from COLMAP's frame to the world.
        metrics: photos, registered, reprojection error, fit PSNR, splat counts.
        warnings: one-line messages for the user.
        timings: stage -> seconds.
    """

    world: World
    views: list
    sfm: object
    alignment: object
    metrics: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)


class CaptureToWorldPipeline:
    """Make a world from overlapping photos of one place."""

    def check_inputs(self, *, seed, camera_height, fit_steps, splats=None, fit_side=None) -> None:
        check_seed(seed)
        if splats is not None and (isinstance(splats, bool) or int(splats) != splats or not 16 <= splats <= 20_000_000):
            raise InputError(f"`splats` must be an integer in 16..20000000, got {splats!r}")
        if fit_side is not None and (isinstance(fit_side, bool) or int(fit_side) != fit_side or not 16 <= fit_side <= 8192):
            raise InputError(f"`fit_side` must be an integer in 16..8192 pixels, got {fit_side!r}")
        if camera_height is not None and not (isinstance(camera_height, (int, float)) and 0.01 <= camera_height <= 1000):
            raise InputError(f"`camera_height` must be in 0.01..1000 metres, got {camera_height!r}")
        if fit_steps is not None:
            from marble.options import check_steps

            check_steps(fit_steps, "refine_steps")

    def __call__(
        self,
        images=None,
        *,
        photos=None,
        source: dict | None = None,
        seed: int = 0,
        preset: str | Preset = "standard",
        camera_height: float | None = None,
        refine_steps: int | None = None,
        measure_fidelity: bool = False,
        sequential: bool | None = None,
        warnings: list[str] | None = None,
        device: str = "auto",
        splats: int | None = None,
        fit_side: int | None = None,
        progress: ProgressFn | None = None,
    ) -> CaptureOutput:
        """Reconstruct and fit.

        Args:
            images: a folder of photos, a photo path or a list of paths (see :mod:`pipelines.capture.photos`).
            photos: already loaded :class:`~pipelines.capture.photos.CapturePhoto` list instead (video frames).
            source: what the photos came from, for provenance (``{"video": "walk.mp4", ...}``).
            seed: COLMAP's RANSAC seed, the fitting order.
            preset: matching size, initial splats, fitting size and steps, splat budget.
            camera_height: metres the camera was held above the ground (sets the scale); ``None``: 1.6.
            refine_steps: fitting steps; ``None``: :func:`default_fit_steps`.
            measure_fidelity: record the fitted world's PSNR at every photo (full photo size).
            sequential: match neighbours only (video) instead of every pair; default by count.
            warnings: messages from earlier stages (frame sampling) to keep with the world.
            splats: initial splats (default per preset, :data:`INIT_SPLATS`; at most the preset's ``max_splats``).
            fit_side: long side photos are fitted at (default per preset, :data:`FIT_MAX_SIDE`).
            device: where fitting runs: ``"auto"`` (CUDA with gsplat when present), ``"cpu"``, ``"cuda[:N]"``.
            progress: ``(stage, fraction, message)``: photos, features, matching, mapping, fitting.
        Returns:
            :class:`CaptureOutput`.

        Raises:
            InputError: bad photos (see :func:`~pipelines.capture.photos.load_photos`), nothing registered.
        """
        from pipelines.capture.align import align_capture
        from pipelines.capture.fit import fit_world, photo_views
        from pipelines.capture.init_splats import init_splats
        from pipelines.capture.photos import check_photo_set, load_photos
        from pipelines.capture.sfm import run_sfm
        from pipelines.capture.sky import sky_environment

        self.check_inputs(seed=seed, camera_height=camera_height, fit_steps=refine_steps, splats=splats, fit_side=fit_side)
        if (images is None) == (photos is None):
            raise InputError("give the capture's `images` (folder or files) or its loaded `photos`, one of them")
        preset = get_preset(preset)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        max_side = SFM_MAX_SIDE.get(preset.name, 640)
        if images is not None:
            pset = load_photos(images, max_side=max_side, progress=progress)
        else:
            pset = check_photo_set(list(photos), what="frames")
        notes = list(warnings or []) + pset.warnings
        timings["photos"] = time.perf_counter() - t0

        sfm = run_sfm(pset.photos, seed=seed, sequential=sequential, progress=progress)
        timings.update(sfm.timings)
        n, k = len(pset.photos), len(sfm.registered)
        if k < LOW_REGISTRATION * n:
            names = ", ".join(sfm.unregistered[:6]) + (" ..." if len(sfm.unregistered) > 6 else "")
            notes.append(f"only {k} of {n} photos could be placed ({names} overlap too little with the others); "
                         "the world shows what the placed ones see")

        t0 = time.perf_counter()
        al = align_capture(sfm.cameras, sfm.points, camera_height=camera_height)
        cams = [al.camera(c) for c in sfm.cameras]
        pts = al.points(sfm.points)
        by_name = {ph.name: ph for ph in pset.photos}
        env, sky_share = sky_environment(cams, by_name, sfm.observations)
        budget = min(int(splats) if splats else INIT_SPLATS.get(preset.name, 150_000), preset.max_splats)
        g = init_splats(cams, by_name, sfm.observations, pts, sfm.colors, budget=budget, seed=seed)
        timings["init"] = time.perf_counter() - t0
        report(progress, "init", 1.0, f"{g.num_splats:,} splats from {len(pts):,} points")

        world = World([Layer(CAPTURE_LAYER, label="capture", gaussians=g)], environment=env, cameras=cams)
        views = photo_views(cams, by_name)
        steps = default_fit_steps(preset.name) if refine_steps is None else int(refine_steps)
        fit = None
        if steps:
            t0 = time.perf_counter()
            fit = fit_world(world, views, steps=steps, budget=preset.max_splats, seed=seed,
                            max_side=int(fit_side) if fit_side else FIT_MAX_SIDE.get(preset.name, 320), device=device,
                            progress=progress)
            timings["fitting"] = time.perf_counter() - t0
        metrics = {
            "photos": n, "registered": k, "registered_fraction": round(k / n, 4),
            "reprojection_error_px": round(sfm.reprojection_error, 4), "sparse_points": len(pts),
            "scale_m_per_unit": round(al.scale, 6), "camera_height_m": round(al.camera_height, 3),
            "sky_share": round(sky_share, 4), "splats": world.num_splats,
        }
        if fit is not None:
            metrics.update(fit_psnr_before_db=round(fit.psnr_before, 3), fit_psnr_after_db=round(fit.psnr_after, 3))
        if measure_fidelity:
            from pipelines.fusion import fusion_psnr

            metrics["fusion_psnr_db"] = fusion_psnr(world, views)["mean"]
        inputs = {"photos": n, "registered": k, "unregistered": sfm.unregistered[:50], "warnings": notes,
                  "camera_height": camera_height, **(source or {})}
        if images is not None and "images" not in inputs:
            inputs["images"] = _label(images)
        world.provenance = Provenance(
            seed=seed, preset=preset.name, inputs=inputs,
            stages={"sfm": f"colmap-incremental (pycolmap {_pycolmap_version()})", "align": al.method,
                    "init": "sparse-points+interpolated-depth",
                    "fit": "none" if fit is None else f"photometric:{fit.steps} steps, {fit.strategy} "
                                                      f"({fit.psnr_before:.1f} -> {fit.psnr_after:.1f} dB)"},
            versions=Provenance.collect_versions(), timings=timings, metrics=metrics,
        )
        return CaptureOutput(world=world, views=views, sfm=sfm, alignment=al, metrics=metrics, warnings=notes,
                             timings=timings)


def default_fit_steps(preset_name: str) -> int:
    """Fitting steps for a preset when none are given: :data:`FIT_STEPS_CUDA` on a CUDA GPU, else :data:`FIT_STEPS_CPU`."""
    import torch

    table = FIT_STEPS_CUDA if torch.cuda.is_available() else FIT_STEPS_CPU
    return table.get(preset_name, table["standard"])


def _pycolmap_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("pycolmap")
    except metadata.PackageNotFoundError:
        return "?"


def _label(images) -> str:
    import os

    if isinstance(images, (str, os.PathLike)):
        return os.path.basename(os.path.normpath(str(images)))
    return f"{len(list(images))} files"
