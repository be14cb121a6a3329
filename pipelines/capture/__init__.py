"""Worlds from captures: several photos or a video -> cameras (structure from motion) -> fitted splats.

Stages, one module each:

- :mod:`pipelines.capture.photos`: collect and check the photos (count, duplicates, sizes), downscale.
- :mod:`pipelines.capture.video`: sample frames from a video by sharpness and spacing.
- :mod:`pipelines.capture.sfm`: COLMAP structure from motion through ``pycolmap`` (features,
  matching, incremental mapping) -> cameras and sparse points.
- :mod:`pipelines.capture.align`: metric scale, +Y up from the cameras' gravity, centring.
- :mod:`pipelines.capture.init_splats`: splats from the sparse points (densified along each photo's
  interpolated depth).
- :mod:`pipelines.capture.fit`: photometric fitting with :mod:`pipelines.refine`, with densification
  and pruning at the preset's budget.
- :mod:`pipelines.capture.sky`: the sky gradient from the photos' unexplained pixels above the horizon.
- :mod:`pipelines.capture.pipeline`: :class:`~pipelines.capture.pipeline.CaptureToWorldPipeline`;
  :mod:`pipelines.capture.route`: what :func:`pipelines.generate.generate_world` calls.
- :mod:`pipelines.capture.synthetic`, :mod:`pipelines.capture.score`: captures with known cameras
  and their scoring (camera errors, held-out PSNR and holes), for tests and ``scripts/bench_capture.py``.
"""
