"""Put a structure-from-motion result in Marble's world frame: metres, +Y up, centred.

- **Gravity**: photos are held upright, so each camera's x axis (image right) is horizontal; the
  world's up is the direction most perpendicular to all of them (the smallest eigenvector of
  ``sum x x^T``), signed to agree with the cameras' mean up (``-y``). When every camera faces the same
  way the right axes do not pin up down, and the mean up, made perpendicular to the mean right
  axis, is used instead.
- **Heading**: the first registered camera looks along ``-Z`` (the glTF forward).
- **Scale**: the ground is the 5th percentile of point heights below the cameras; the median camera
  is then ``camera_height`` metres above it (1.6 m, eye height, when the user gives none).
- **Centre**: the points' median ``x, z`` at the origin, the ground at ``y = 0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from marble.camera import Camera
from marble.errors import InputError

DEFAULT_CAMERA_HEIGHT = 1.6
"""Metres above the ground a hand-held camera is assumed to be when the user gives no height."""
GROUND_PERCENTILE = 5.0


@dataclass
class Alignment:
    """A similarity ``p_world = scale * R @ p + t`` from COLMAP's frame to the world.

    Attributes:
        scale: metres per COLMAP unit.
        R: ``[3, 3]`` float64 rotation.
        t: ``[3]`` float64 translation (metres).
        up: ``[3]`` the up direction found, in COLMAP's frame.
        camera_height: metres the median camera stands above the ground after alignment.
        method: how up was found (``"right-axes"`` or ``"mean-up"``) and scale set (``"+height"``,
            ``"+ground-default"`` or ``"+no-ground"``).
    """

    scale: float
    R: np.ndarray
    t: np.ndarray
    up: np.ndarray
    camera_height: float
    method: str

    @property
    def matrix(self) -> np.ndarray:
        """``[4, 4]`` float64 similarity matrix."""
        M = np.eye(4)
        M[:3, :3] = self.scale * self.R
        M[:3, 3] = self.t
        return M

    def points(self, p: np.ndarray) -> np.ndarray:
        """``[N, 3]`` points mapped to the world."""
        return (self.scale * (np.asarray(p, np.float64) @ self.R.T) + self.t).astype(np.float64)

    def camera(self, cam: Camera) -> Camera:
        """``cam`` moved into the world (rotation and position; intrinsics unchanged)."""
        T = cam.T_world_camera.numpy()
        out = np.eye(4)
        out[:3, :3] = self.R @ T[:3, :3]
        out[:3, 3] = self.scale * (self.R @ T[:3, 3]) + self.t
        return Camera(cam.fx, cam.fy, cam.cx, cam.cy, cam.width, cam.height, torch.from_numpy(out), cam.name)


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking unit vector ``a`` to unit vector ``b``."""
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    v, c = np.cross(a, b), float(a @ b)
    if c < -1 + 1e-9:  # opposite: turn half way round any axis perpendicular to a
        axis = np.cross(a, [1.0, 0, 0]) if abs(a[0]) < 0.9 else np.cross(a, [0, 1.0, 0])
        axis /= np.linalg.norm(axis)
        return 2 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1 + c)


def gravity_up(cameras: list[Camera]) -> tuple[np.ndarray, str]:
    """``([3] unit up, method)`` from the cameras' axes (see the module notes)."""
    R = np.stack([c.T_world_camera[:3, :3].numpy() for c in cameras])  # [C, 3, 3]
    rights, ups = R[:, :, 0], -R[:, :, 1]
    mean_up = ups.mean(0)
    M = rights.T @ rights
    w, v = np.linalg.eigh(M)  # ascending
    if w[1] > 0.02 * w[2]:
        up = v[:, 0]
        method = "right-axes"
    else:
        r = rights.mean(0)
        r /= np.linalg.norm(r)
        up = mean_up - (mean_up @ r) * r
        method = "mean-up"
    if up @ mean_up < 0:
        up = -up
    return up / np.linalg.norm(up), method


def align_capture(cameras: list[Camera], points: np.ndarray, *, camera_height: float | None = None) -> Alignment:
    """Find the similarity that puts a reconstruction in metres, +Y up and centred.

    Args:
        cameras: the registered cameras (COLMAP frame).
        points: ``[P, 3]`` sparse points (COLMAP frame).
        camera_height: metres the cameras were held above the ground; ``None``: 1.6 m.
    Returns:
        :class:`Alignment`.

    Raises:
        InputError: no cameras, or a ``camera_height`` that is not a positive number of metres.
    """
    if not cameras:
        raise InputError("no registered cameras to align")
    if camera_height is not None and not (math.isfinite(camera_height) and 0.01 <= camera_height <= 1000):
        raise InputError(f"`camera_height` must be in 0.01..1000 metres, got {camera_height}")
    up, method = gravity_up(cameras)
    R = _rotation_between(up, np.array([0.0, 1.0, 0.0]))
    fwd = R @ cameras[0].T_world_camera[:3, 2].numpy()
    yaw_now = math.atan2(fwd[0], fwd[2])
    if math.hypot(fwd[0], fwd[2]) > 1e-6:  # turn about +Y so the first camera looks along -Z
        a = math.pi - yaw_now
        Ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
        R = Ry @ R
    centres = np.stack([R @ c.position.numpy() for c in cameras])
    pts = np.asarray(points, np.float64).reshape(-1, 3) @ R.T
    cam_y = float(np.median(centres[:, 1]))
    below = pts[pts[:, 1] < cam_y]
    if len(below) >= 10:
        ground = float(np.percentile(below[:, 1], GROUND_PERCENTILE))
        height_units = cam_y - ground
    else:
        ground, height_units = cam_y - 1.0, 0.0
    target = DEFAULT_CAMERA_HEIGHT if camera_height is None else float(camera_height)
    if height_units > 1e-9:
        scale = target / height_units
        method += "+height" if camera_height is not None else "+ground-default"
    else:  # nothing below the cameras: keep the spread of the cameras at a plausible few metres
        spread = float(np.median(np.linalg.norm(centres - centres.mean(0), axis=1))) if len(cameras) > 1 else 0.0
        scale = 1.0 / spread if spread > 1e-9 else 1.0
        method += "+no-ground"
    ref = pts if len(pts) else centres
    cx, cz = float(np.median(ref[:, 0])), float(np.median(ref[:, 2]))
    t = -scale * np.array([cx, ground, cz])
    al = Alignment(scale=float(scale), R=R, t=t, up=up, camera_height=0.0, method=method)
    al.camera_height = float(np.median([al.camera(c).position[1].item() for c in cameras]))
    return al
