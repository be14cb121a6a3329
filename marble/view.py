"""One generated view of a scene: a camera and the images rendered or painted from it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from marble.camera import Camera


@dataclass
class View:
    """A view used by fusion. Arrays are numpy, ``H x W`` matching ``camera.height x camera.width``.

    Attributes:
        camera: where the view was taken.
        rgb: ``[H, W, 3]`` float32 colours in [0, 1].
        depth: ``[H, W]`` float32 z-depth in metres along the camera's forward axis; ``inf`` where
            nothing was hit (sky).
        object_ids: ``[H, W]`` int32 index into ``layer_names``; ``-1`` for sky / nothing.
        layer_names: names of the layers the ids refer to.
        normals: ``[H, W, 3]`` float32 world-space unit normals, or ``None``.
        confidence: ``[H, W]`` float32 in [0, 1] (1 for rendered geometry, lower for estimated depth).
        source: which component made it ("procedural", "controlnet-depth", "image-lift", ...).
    """

    camera: Camera
    rgb: np.ndarray
    depth: np.ndarray
    object_ids: np.ndarray
    layer_names: list[str] = field(default_factory=list)
    normals: np.ndarray | None = None
    confidence: np.ndarray | None = None
    source: str = "procedural"

    def __post_init__(self) -> None:
        h, w = self.camera.height, self.camera.width
        checks = {"rgb": (h, w, 3), "depth": (h, w), "object_ids": (h, w)}
        if self.normals is not None:
            checks["normals"] = (h, w, 3)
        if self.confidence is not None:
            checks["confidence"] = (h, w)
        for name, shape in checks.items():
            arr = getattr(self, name)
            if tuple(arr.shape) != shape:
                raise ValueError(f"View.{name} must have shape {list(shape)}, got {list(arr.shape)}")
        if self.confidence is None:
            self.confidence = np.isfinite(self.depth).astype(np.float32)
