"""Evaluation of explorable worlds: held-out cameras, holes, floaters and PSNR against the ground truth.

``evaluate_world(world)`` renders random eye-level and aerial cameras over the walkable region of a
world's layout (or head-sized moves around a photo world's camera), counts holes and floaters and,
where the layout gives a procedural ground truth, the PSNR against it. ``marble eval WORLD`` and
``manifest.json`` (``generate``) report the same figures.

Modules: :mod:`~pipelines.evaluate.cameras` (held-out cameras), :mod:`~pipelines.evaluate.truth`
(supersampled procedural ground truth), :mod:`~pipelines.evaluate.report` (:func:`evaluate_world`).
"""

from pipelines.evaluate.cameras import head_move_cameras, heldout_cameras
from pipelines.evaluate.report import CameraFigures, EvalReport, evaluate_world

__all__ = ["CameraFigures", "EvalReport", "evaluate_world", "head_move_cameras", "heldout_cameras"]
