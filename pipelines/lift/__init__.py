"""Lifting single images into 3D without learned weights: geometric depth, forward warping,
classical inpainting, depth alignment and the warp-and-inpaint loop that walks a camera path."""

from pipelines.lift.align import align_depth
from pipelines.lift.geometric_depth import (
    GeometricDepthResult,
    estimate_geometric_depth,
)
from pipelines.lift.inpaint import ClassicalInpainter, inpaint_classical
from pipelines.lift.warp import SurfaceCache, WarpResult, forward_warp

__all__ = [
    "ClassicalInpainter",
    "GeometricDepthResult",
    "SurfaceCache",
    "WarpResult",
    "align_depth",
    "estimate_geometric_depth",
    "forward_warp",
    "inpaint_classical",
]
