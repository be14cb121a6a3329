"""Scoring a capture against the truth: camera errors after a similarity alignment, held-out views.

For synthetic captures (:mod:`pipelines.capture.synthetic`) and benchmarks: the recovered cameras
are aligned to the true ones by the best similarity (Umeyama's least squares on the camera
centres), rotation errors are the angles between aligned and true camera orientations, and
held-out true cameras are carried into the world by the inverse similarity, rendered, and compared
with the true images (PSNR, and holes: pixels the truth covers where the splats reach alpha < 0.5).
"""

from __future__ import annotations

import numpy as np
import torch

from marble.camera import Camera


def registered_cameras_error(recovered, truth) -> dict:
    """Rotation and position errors of recovered cameras against true ones, after a similarity alignment.

    Args:
        recovered: cameras from a capture (any frame).
        truth: the true cameras, same order and names.
    Returns:
        ``{"rotation_deg_mean", "rotation_deg_max", "position_rel_mean", "position_m_mean", "scale", "R", "t"}``
        (``R [3, 3]``, ``t [3]`` and ``scale`` map recovered positions onto true ones);
        positions are compared after the best similarity (Umeyama) mapping recovered centres onto the
        true ones; ``position_rel_mean`` divides by the spread of the true centres.
    """
    A = np.stack([c.position.numpy() for c in recovered])
    B = np.stack([c.position.numpy() for c in truth])
    mu_a, mu_b = A.mean(0), B.mean(0)
    a, b = A - mu_a, B - mu_b
    U, S, Vt = np.linalg.svd(b.T @ a / len(A))
    D = np.eye(3)
    D[2, 2] = np.sign(np.linalg.det(U @ Vt))
    R = U @ D @ Vt
    s = float(np.trace(np.diag(S) @ D) / max((a**2).sum() / len(A), 1e-12))
    t = mu_b - s * R @ mu_a
    mapped = (s * (A @ R.T)) + t
    pos = np.linalg.norm(mapped - B, axis=1)
    spread = float(np.sqrt((b**2).sum(1).mean())) or 1.0
    rot = []
    for rc, tc in zip(recovered, truth):
        Rr = R @ rc.T_world_camera[:3, :3].numpy()
        Rt = tc.T_world_camera[:3, :3].numpy()
        c = (np.trace(Rr.T @ Rt) - 1) / 2
        rot.append(float(np.degrees(np.arccos(np.clip(c, -1, 1)))))
    return {"rotation_deg_mean": float(np.mean(rot)), "rotation_deg_max": float(np.max(rot)),
            "position_m_mean": float(pos.mean()), "position_rel_mean": float(pos.mean() / spread), "scale": s,
            "R": R, "t": t}


def to_world(camera: Camera, errors: dict) -> Camera:
    """A true camera carried into the recovered world by the inverse of ``errors``' similarity."""
    R, t, s = errors["R"], errors["t"], errors["scale"]
    T = camera.T_world_camera.numpy()
    out = np.eye(4)
    out[:3, :3] = R.T @ T[:3, :3]
    out[:3, 3] = R.T @ (T[:3, 3] - t) / s
    return Camera(camera.fx, camera.fy, camera.cx, camera.cy, camera.width, camera.height, torch.from_numpy(out),
                  camera.name)


def heldout_figures(world, truth, cameras: list[Camera], errors: dict) -> dict:
    """PSNR and hole share of ``world`` at held-out true ``cameras`` (see the module notes).

    Args:
        world: the capture's world.
        truth: a renderer with ``render(camera) -> GroundTruth`` (``rgb``, ``coverage``).
        cameras: held-out true cameras.
        errors: :func:`registered_cameras_error` of the capture.
    Returns:
        ``{"psnr_db": [per camera], "holes": [per camera], "psnr_mean_db", "holes_mean"}``.
    """
    from marble.color import psnr
    from marble.render.world_render import render_world

    ps, holes = [], []
    for cam in cameras:
        gt = truth.render(cam)
        out = render_world(world, [to_world(cam, errors)])
        rgb = out.colors[0].clamp(0, 1)
        ps.append(float(psnr(rgb, torch.from_numpy(gt.rgb), max_db=99.0)))
        covered = gt.coverage >= 1.0
        alpha = out.alphas[0, ..., 0].numpy()
        holes.append(float((covered & (alpha < 0.5)).sum() / max(covered.size, 1)))
    return {"psnr_db": ps, "holes": holes, "psnr_mean_db": float(np.mean(ps)), "holes_mean": float(np.mean(holes))}
