"""Pinhole cameras (OpenCV convention) and the camera paths Marble renders along.

Camera frame: x right, y down, z forward (what gsplat expects). ``T_world_camera`` maps camera
coordinates to world coordinates; ``viewmat`` is its inverse. The world is +Y up, metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from marble.errors import InputError

MAX_IMAGE_SIDE = 8192

# Flips y and z: maps OpenCV camera axes (x right, y down, z forward) to OpenGL ones
# (x right, y up, z backward) and back (it is its own inverse).
CV_TO_GL = torch.diag(torch.tensor([1.0, -1.0, -1.0, 1.0], dtype=torch.float64))


@dataclass
class Camera:
    """A pinhole camera.

    Attributes:
        fx, fy, cx, cy: intrinsics in pixels.
        width, height: image size in pixels.
        T_world_camera: ``[4, 4]`` float64 pose, camera (OpenCV axes) -> world.
        name: optional label ("ring_03").
    """

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    T_world_camera: Tensor = field(default_factory=lambda: torch.eye(4, dtype=torch.float64))
    name: str = ""

    def __post_init__(self) -> None:
        self.T_world_camera = torch.as_tensor(self.T_world_camera, dtype=torch.float64).clone()
        self.validate()

    def validate(self) -> "Camera":
        """Raise ``InputError`` naming the bad argument; return ``self``."""
        for name in ("fx", "fy"):
            v = getattr(self, name)
            if not math.isfinite(v) or v <= 0:
                raise InputError(f"Camera `{name}` must be a positive focal length in pixels, got {v}")
        for name in ("cx", "cy"):
            if not math.isfinite(getattr(self, name)):
                raise InputError(f"Camera `{name}` must be finite, got {getattr(self, name)}")
        for name in ("width", "height"):
            v = getattr(self, name)
            if int(v) != v or v < 1 or v > MAX_IMAGE_SIDE:
                raise InputError(f"Camera `{name}` must be an integer in 1..{MAX_IMAGE_SIDE}, got {v}")
        if self.T_world_camera.shape != (4, 4) or not torch.isfinite(self.T_world_camera).all():
            raise InputError("Camera `T_world_camera` must be a finite 4x4 matrix")
        return self

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_fov(
        cls, *, fov_y_deg: float, width: int, height: int, T_world_camera: Tensor | None = None, name: str = ""
    ) -> "Camera":
        """A centred camera from a vertical field of view in degrees."""
        if not (0 < fov_y_deg < 180):
            raise InputError(f"`fov_y_deg` must be in (0, 180), got {fov_y_deg}")
        f = 0.5 * height / math.tan(math.radians(fov_y_deg) / 2)
        return cls(
            fx=f, fy=f, cx=width / 2, cy=height / 2, width=width, height=height,
            T_world_camera=torch.eye(4, dtype=torch.float64) if T_world_camera is None else T_world_camera,
            name=name,
        )

    @classmethod
    def look_at(
        cls,
        eye,
        target,
        *,
        fov_y_deg: float = 60.0,
        width: int = 512,
        height: int = 384,
        up=(0.0, 1.0, 0.0),
        name: str = "",
    ) -> "Camera":
        """A camera at ``eye`` looking at ``target`` with the world ``up`` roughly up in the image."""
        return cls.from_fov(
            fov_y_deg=fov_y_deg, width=width, height=height, T_world_camera=look_at_pose(eye, target, up), name=name
        )

    # ------------------------------------------------------------------ derived
    @property
    def K(self) -> Tensor:
        """``[3, 3]`` float32 intrinsic matrix."""
        return torch.tensor([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], dtype=torch.float32)

    @property
    def viewmat(self) -> Tensor:
        """``[4, 4]`` float32 world -> camera matrix (inverse of ``T_world_camera``)."""
        return torch.linalg.inv(self.T_world_camera).to(torch.float32)

    @property
    def position(self) -> Tensor:
        """``[3]`` float64 camera centre in world coordinates."""
        return self.T_world_camera[:3, 3].clone()

    @property
    def fov_y_deg(self) -> float:
        return math.degrees(2 * math.atan(self.height / (2 * self.fy)))

    def T_world_camera_gl(self) -> Tensor:
        """``[4, 4]`` pose with OpenGL camera axes (x right, y up, z backward), for glTF/USD/three.js."""
        return self.T_world_camera @ CV_TO_GL

    @classmethod
    def from_gl_pose(cls, T_world_camera_gl: Tensor, **intrinsics) -> "Camera":
        """Build from an OpenGL-convention pose (as in nerfstudio's transforms.json)."""
        T = torch.as_tensor(T_world_camera_gl, dtype=torch.float64) @ CV_TO_GL
        return cls(T_world_camera=T, **intrinsics)

    def resized(self, width: int, height: int) -> "Camera":
        """The same camera rendering a different image size (intrinsics scaled)."""
        sx, sy = width / self.width, height / self.height
        return Camera(self.fx * sx, self.fy * sy, self.cx * sx, self.cy * sy, width, height, self.T_world_camera, self.name)

    def ray_directions(self) -> Tensor:
        """``[H, W, 3]`` float32 unit ray directions in world space through pixel centres."""
        v, u = torch.meshgrid(
            torch.arange(self.height, dtype=torch.float64) + 0.5,
            torch.arange(self.width, dtype=torch.float64) + 0.5,
            indexing="ij",
        )
        d_cam = torch.stack([(u - self.cx) / self.fx, (v - self.cy) / self.fy, torch.ones_like(u)], dim=-1)
        d_world = d_cam @ self.T_world_camera[:3, :3].T
        return (d_world / d_world.norm(dim=-1, keepdim=True)).to(torch.float32)

    def ray_directions_flat(self) -> np.ndarray:
        """``[H*W, 3]`` float32 unit world directions through pixel centres (row-major), in numpy.

        The same directions as :meth:`ray_directions` up to float32 rounding, computed separably
        in float32, several times faster (the ray casters' rays).
        """
        u = np.arange(self.width, dtype=np.float32) + np.float32(0.5)
        v = np.arange(self.height, dtype=np.float32) + np.float32(0.5)
        x = (u - np.float32(self.cx)) / np.float32(self.fx)
        y = (v - np.float32(self.cy)) / np.float32(self.fy)
        R = self.T_world_camera[:3, :3].numpy().astype(np.float32)
        # d_world = R @ (x, y, 1): separable in x and y
        d = (x[None, :, None] * R[:, 0] + y[:, None, None] * R[:, 1]) + R[:, 2]
        d = d.reshape(-1, 3)
        return d / np.linalg.norm(d, axis=1, keepdims=True)

    def pixel_rays(self) -> tuple[np.ndarray, np.ndarray]:
        """Rays through pixel centres, scaled so that the ray parameter equals z-depth.

        Returns:
            ``origin [3]`` float64 and ``directions [H, W, 3]`` float64 in world space (camera-frame
            z component 1 before rotation).
        """
        v, u = np.meshgrid(np.arange(self.height) + 0.5, np.arange(self.width) + 0.5, indexing="ij")
        d_cam = np.stack([(u - self.cx) / self.fx, (v - self.cy) / self.fy, np.ones_like(u)], -1)
        T = self.T_world_camera.numpy()
        return T[:3, 3].copy(), d_cam @ T[:3, :3].T

    def check_depth(self, depth, name: str = "depth") -> np.ndarray:
        """``depth`` as ``[H, W]`` float64 after checking it fits this camera.

        Raises:
            InputError: a shape other than ``[height, width]``, NaN values, or values <= 0 (``inf``
                stands for sky and is allowed).
        """
        d = np.asarray(depth, dtype=np.float64)
        if d.shape != (self.height, self.width):
            raise InputError(f"`{name}` must have shape [{self.height}, {self.width}] to match the camera, "
                             f"got {list(d.shape)}")
        if np.isnan(d).any():
            raise InputError(f"`{name}` contains NaN values: use inf for sky and finite metres elsewhere")
        if (d <= 0).any():
            raise InputError(f"`{name}` must be positive (metres along the camera's forward axis)")
        return d

    def unproject(self, depth) -> np.ndarray:
        """Lift a z-depth map to world points.

        Args:
            depth: ``[H, W]`` z-depth in metres (``inf`` allowed; see :meth:`check_depth`).
        Returns:
            ``[H, W, 3]`` float64 world points (``inf``/``nan`` where depth is ``inf``).
        """
        d = self.check_depth(depth)
        o, dirs = self.pixel_rays()
        with np.errstate(invalid="ignore"):
            return o + dirs * d[..., None]

    def to_dict(self) -> dict:
        """JSON-friendly dict (pose as nested lists)."""
        return {
            "name": self.name, "fx": self.fx, "fy": self.fy, "cx": self.cx, "cy": self.cy,
            "width": self.width, "height": self.height, "T_world_camera": self.T_world_camera.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Camera":
        return cls(
            fx=float(d["fx"]), fy=float(d["fy"]), cx=float(d["cx"]), cy=float(d["cy"]),
            width=int(d["width"]), height=int(d["height"]),
            T_world_camera=torch.tensor(d["T_world_camera"], dtype=torch.float64), name=d.get("name", ""),
        )


def stack_cameras(cameras: list[Camera], device: str | torch.device = "cpu") -> tuple[Tensor, Tensor]:
    """Batch cameras for a renderer.

    Returns:
        ``viewmats [C, 4, 4]`` and ``Ks [C, 3, 3]``, float32 on ``device``.
    """
    if not cameras:
        raise InputError("`cameras` is empty: pass at least one Camera")
    viewmats = torch.stack([c.viewmat for c in cameras]).to(device)
    Ks = torch.stack([c.K for c in cameras]).to(device)
    return viewmats, Ks


def look_at_pose(eye, target, up=(0.0, 1.0, 0.0)) -> Tensor:
    """``[4, 4]`` float64 ``T_world_camera`` (OpenCV axes) for a camera at ``eye`` looking at ``target``."""
    eye = torch.as_tensor(eye, dtype=torch.float64)
    target = torch.as_tensor(target, dtype=torch.float64)
    up = torch.as_tensor(up, dtype=torch.float64)
    forward = target - eye
    if forward.norm() < 1e-9:
        raise InputError("look_at: `eye` and `target` coincide")
    forward = forward / forward.norm()
    right = torch.linalg.cross(forward, up)
    if right.norm() < 1e-6:  # looking straight up or down: pick any perpendicular
        right = torch.linalg.cross(forward, torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64))
    right = right / right.norm()
    down = torch.linalg.cross(forward, right)
    T = torch.eye(4, dtype=torch.float64)
    T[:3, 0], T[:3, 1], T[:3, 2], T[:3, 3] = right, down, forward, eye
    return T


# ---------------------------------------------------------------------- trajectories
def orbit(
    center,
    *,
    radius: float,
    height: float,
    n: int,
    fov_y_deg: float = 60.0,
    width: int = 512,
    height_px: int = 384,
    start_deg: float = 0.0,
    look_height: float | None = None,
) -> list[Camera]:
    """``n`` cameras on a horizontal circle of ``radius`` at ``height`` above ``center``, looking at it.

    Args:
        center: ``[3]`` point orbited (the target is raised to ``look_height`` when given).
    """
    _check_count(n)
    c = torch.as_tensor(center, dtype=torch.float64)
    target = c.clone()
    if look_height is not None:
        target[1] = c[1] + look_height
    cams = []
    for i in range(n):
        a = math.radians(start_deg) + 2 * math.pi * i / n
        eye = c + torch.tensor([radius * math.sin(a), height, radius * math.cos(a)], dtype=torch.float64)
        cams.append(Camera.look_at(eye, target, fov_y_deg=fov_y_deg, width=width, height=height_px, name=f"orbit_{i:03d}"))
    return cams


def ring(
    eye,
    *,
    n: int,
    fov_y_deg: float = 70.0,
    width: int = 512,
    height_px: int = 384,
    pitch_deg: float = 0.0,
    start_deg: float = 0.0,
) -> list[Camera]:
    """A 360-degree ring: ``n`` cameras at one eye point turning about +Y (the view of a person looking around)."""
    _check_count(n)
    e = torch.as_tensor(eye, dtype=torch.float64)
    cams = []
    p = math.radians(pitch_deg)
    for i in range(n):
        a = math.radians(start_deg) + 2 * math.pi * i / n
        d = torch.tensor([math.sin(a) * math.cos(p), math.sin(p), math.cos(a) * math.cos(p)], dtype=torch.float64)
        cams.append(Camera.look_at(e, e + d, fov_y_deg=fov_y_deg, width=width, height=height_px, name=f"ring_{i:03d}"))
    return cams


def walk(
    points,
    *,
    n: int,
    eye_height: float = 1.6,
    fov_y_deg: float = 70.0,
    width: int = 512,
    height_px: int = 384,
    look_ahead: float = 1.0,
) -> list[Camera]:
    """A walk-through: ``n`` cameras along a polyline of ground points ``[P, 3]``, at eye height, looking ahead."""
    _check_count(n)
    pts = torch.as_tensor(points, dtype=torch.float64)
    if pts.ndim != 2 or pts.shape[1] != 3 or pts.shape[0] < 2:
        raise InputError(f"walk `points` must have shape [P>=2, 3], got {tuple(pts.shape)}")
    seg = (pts[1:] - pts[:-1]).norm(dim=-1)
    cum = torch.cat([torch.zeros(1, dtype=torch.float64), seg.cumsum(0)])
    total = float(cum[-1])
    if total <= 0:
        raise InputError("walk `points` are all the same point")

    def at(s: float) -> Tensor:
        s = min(max(s, 0.0), total)
        i = int(torch.searchsorted(cum, torch.tensor(s, dtype=torch.float64), right=True).clamp(1, len(cum) - 1)) - 1
        t = (s - float(cum[i])) / max(float(seg[i]), 1e-12)
        return pts[i] * (1 - t) + pts[i + 1] * t

    cams = []
    up = torch.tensor([0.0, eye_height, 0.0], dtype=torch.float64)
    for i in range(n):
        s = total * i / max(n - 1, 1)
        here = at(s)
        ahead = at(s + look_ahead) if s + look_ahead <= total else here + (here - at(s - look_ahead))
        cams.append(
            Camera.look_at(here + up, ahead + up, fov_y_deg=fov_y_deg, width=width, height=height_px, name=f"walk_{i:03d}")
        )
    return cams


def _check_count(n: int) -> None:
    if int(n) != n or n < 1 or n > 100_000:
        raise InputError(f"number of cameras `n` must be an integer in 1..100000, got {n}")
