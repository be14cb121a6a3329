"""``cameras.json`` (any ``.json``): the world's camera path in nerfstudio's ``transforms.json`` layout.

Each frame has ``transform_matrix`` = camera-to-world in OpenGL axes (x right, y up, z back), as
nerfstudio and instant-ngp expect, plus its own intrinsics (``fl_x fl_y cx cy w h``). A world
without cameras gets an 8-camera orbit around its bounds so the file is never empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from exporters.scene import ExportOptions, ExportScene
from marble.camera import Camera, orbit
from marble.io import atomic_write


def default_path(scene: ExportScene, n: int = 8) -> list[Camera]:
    """An orbit of ``n`` cameras around the scene's splat/mesh bounds."""
    pts = []
    for layer in scene.layers:
        if layer.gaussians is not None:
            pts.append(layer.gaussians.means.numpy())
        if layer.mesh is not None:
            pts.append(np.asarray(layer.mesh.vertices, dtype=np.float32))
    p = np.concatenate(pts) if pts else np.zeros((1, 3), np.float32)
    lo, hi = p.min(axis=0), p.max(axis=0)
    c = (lo + hi) / 2
    r = max(float(np.linalg.norm(hi - lo)) * 0.75, 1.0)
    return orbit(c.tolist(), radius=r, height=r * 0.35, n=n)


def transforms_dict(cameras: list[Camera]) -> dict:
    """The nerfstudio ``transforms.json`` document for ``cameras``."""
    frames = []
    for i, cam in enumerate(cameras):
        frames.append({
            "file_path": f"images/{cam.name or f'frame_{i:05d}'}.png",
            "transform_matrix": cam.T_world_camera_gl().tolist(),
            "fl_x": cam.fx, "fl_y": cam.fy, "cx": cam.cx, "cy": cam.cy, "w": cam.width, "h": cam.height,
        })
    doc = {"camera_model": "OPENCV", "frames": frames}
    if cameras:
        c0 = cameras[0]
        doc.update({"fl_x": c0.fx, "fl_y": c0.fy, "cx": c0.cx, "cy": c0.cy, "w": c0.width, "h": c0.height})
    return doc


def write_cameras_json(scene: ExportScene, path: Path, options: ExportOptions) -> list[Path]:
    """Write the camera path (atomically)."""
    cams = scene.cameras or default_path(scene)
    with atomic_write(path, "w") as fh:
        fh.write(json.dumps(transforms_dict(cams), indent=2))
    return [Path(path)]


def read_cameras_json(path: str | Path) -> list[Camera]:
    """Cameras from a ``transforms.json``-layout file (per-frame or shared intrinsics)."""
    from marble.errors import FormatError

    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        cams = []
        for i, fr in enumerate(doc["frames"]):
            get = lambda k: fr.get(k, doc.get(k))  # noqa: E731
            cams.append(Camera.from_gl_pose(
                np.asarray(fr["transform_matrix"], dtype=np.float64),
                fx=float(get("fl_x")), fy=float(get("fl_y")), cx=float(get("cx")), cy=float(get("cy")),
                width=int(get("w")), height=int(get("h")), name=Path(fr.get("file_path", f"frame_{i}")).stem,
            ))
        return cams
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{Path(path).name}: not a transforms.json camera file ({exc})") from exc
