"""The depth-estimator interface shared by geometric (embedded) and learned depth.

An estimator has a ``name`` and ``estimate(rgb, *, camera=None) -> DepthEstimate``. Metric
estimates are used as they are; relative ones (``"depth"`` up to scale and shift, ``"disparity"``
up to scale and shift of inverse depth) are aligned to known metric depth by
:func:`pipelines.lift.align.align_depth`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from marble.camera import Camera

SPACES = ("metric", "depth", "disparity")


@dataclass
class DepthEstimate:
    """One depth prediction.

    Attributes:
        values: ``[H, W]`` float32: metres (``"metric"``), relative depth (``"depth"``) or relative
            inverse depth (``"disparity"``, larger is nearer).
        space: ``"metric"``, ``"depth"`` or ``"disparity"``.
        sky: ``[H, W]`` bool sky mask when the estimator knows one, else ``None``.
    """

    values: np.ndarray
    space: str
    sky: np.ndarray | None = None


class DepthEstimator(Protocol):
    name: str

    def estimate(self, rgb: np.ndarray, *, camera: Camera | None = None) -> DepthEstimate: ...


class GeometricDepthEstimator:
    """Photo pop-up depth (no weights), metric because the camera height is known.

    Args:
        camera_height: eye height above the ground in metres when no camera is given.
        fov_y_deg: vertical field of view assumed when no camera is given.
        max_depth: depth cap in metres.
    """

    name = "geometric"

    def __init__(self, *, camera_height: float = 1.6, fov_y_deg: float = 55.0, max_depth: float = 100.0) -> None:
        self.camera_height = camera_height
        self.fov_y_deg = fov_y_deg
        self.max_depth = max_depth

    def estimate(self, rgb: np.ndarray, *, camera: Camera | None = None) -> DepthEstimate:
        """``[H, W, 3]`` image -> metric :class:`DepthEstimate` (``inf`` for sky)."""
        from pipelines.lift.geometric_depth import SKY, estimate_geometric_depth

        res = estimate_geometric_depth(rgb, camera=camera, camera_height=self.camera_height,
                                       fov_y_deg=self.fov_y_deg, max_depth=self.max_depth)
        return DepthEstimate(values=res.depth, space="metric", sky=res.region == SKY)
