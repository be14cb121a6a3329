"""Axis conventions of splat formats and the conversions between them.

Marble's world frame is right-handed, +Y up, metres; numerically it is **RUB** (x right, y up,
z back), the frame of glTF, three.js and SPZ files, so those need no change.

The 3DGS ``.ply`` family (``.ply``, ``.compressed.ply``, ``.splat``) is by common agreement
**RDF** (x right, y down, z forward: the OpenCV/COLMAP frame of the original training code);
SuperSplat and PlayCanvas splat-transform read these files as RDF. RUB -> RDF is a rotation of
180 degrees about X: ``(x, y, z) -> (x, -y, -z)``. It is its own inverse.

Other frames are named by three letters, the directions of their x, y and z axes (``L``/``R``,
``U``/``D``, ``F``/``B``, in any order: ``"luf"``, ``"rfu"``), as Niantic's SPZ library names
them; :func:`frame_to_world` gives the matrix taking such coordinates to the world and
:func:`change_frame` applies it to splats (positions, rotations and SH bands).

How viewers orient each format (the glTF spec, three.js, Babylon, Blender, PlayCanvas, Spark):
see the README's "Open it in ..." section.
"""

from __future__ import annotations

import numpy as np
import torch

FRAMES = ("rub", "rdf")
_DIRS = {"r": (1, 0, 0), "l": (-1, 0, 0), "u": (0, 1, 0), "d": (0, -1, 0), "b": (0, 0, 1), "f": (0, 0, -1)}

# Sign of each SH rest coefficient (bands 1..3, the 3DGS order) under (x, y, z) -> (x, -y, -z).
# Band 1 basis ~ (y, z, x); band 2 ~ (xy, yz, 3z^2-1, xz, x^2-y^2); band 3 ~ (y(3x^2-y^2), xyz,
# y(5z^2-1), z(5z^2-3), x(5z^2-1), z(x^2-y^2), x(x^2-3y^2)).
_SH_SIGNS_X180 = np.array(
    [-1, -1, 1, -1, 1, 1, -1, 1, -1, 1, -1, -1, 1, -1, 1], dtype=np.float32
)


def flip_x180(
    means: np.ndarray,  # [N, 3]
    quats_wxyz: np.ndarray,  # [N, 4]
    sh_rest: np.ndarray | None = None,  # [N, K, 3]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Rotate splats 180 degrees about X (RUB <-> RDF); returns new arrays.

    Args:
        means: ``[N, 3]`` centres.
        quats_wxyz: ``[N, 4]`` rotations.
        sh_rest: ``[N, K, 3]`` SH bands 1..3 or ``None``.
    Returns:
        ``(means [N, 3], quats [N, 4], sh_rest [N, K, 3] | None)``.
    """
    m = means * np.array([1.0, -1.0, -1.0], dtype=means.dtype)
    w, x, y, z = (quats_wxyz[:, i] for i in range(4))
    # q' = (0, 1, 0, 0) * q
    q = np.stack([-x, w, -z, y], axis=1)
    sh = None
    if sh_rest is not None:
        k = sh_rest.shape[1]
        sh = sh_rest * _SH_SIGNS_X180[:k, None].astype(sh_rest.dtype)
    return m, q, sh


def convert(
    means: np.ndarray, quats_wxyz: np.ndarray, sh_rest: np.ndarray | None, *, src: str, dst: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Convert splat geometry from frame ``src`` to ``dst`` (each ``"rub"`` or ``"rdf"``)."""
    for name, v in (("src", src), ("dst", dst)):
        if v not in FRAMES:
            raise ValueError(f"`{name}` must be one of {FRAMES}, got {v!r}")
    if src == dst:
        return means, quats_wxyz, sh_rest
    return flip_x180(means, quats_wxyz, sh_rest)


def frame_to_world(name: str) -> np.ndarray:
    """``[3, 3]`` matrix taking coordinates in frame ``name`` (e.g. ``"rdf"``, ``"luf"``, ``"rfu"``)
    to world (RUB) coordinates: its columns are the world directions of the frame's axes.

    Raises:
        ValueError: ``name`` is not three letters naming one direction along each world axis.
    """
    key = name.lower()
    if len(key) != 3 or any(c not in _DIRS for c in key):
        raise ValueError(f"frame {name!r} must be three of L/R, U/D, F/B, e.g. 'rub' or 'rdf'")
    M = np.array([_DIRS[c] for c in key], dtype=np.float64).T
    if abs(abs(np.linalg.det(M)) - 1.0) > 1e-9:
        raise ValueError(f"frame {name!r} names one world axis twice")
    return M


def sh_transform(M: np.ndarray, degree: int) -> np.ndarray:
    """``[K, K]`` matrix ``A`` (``K = (degree + 1)^2 - 1``, the rest bands) with
    ``rest_new = A @ rest_old`` when splats move by the orthogonal ``M`` (rotation or reflection):
    the colour seen along ``d`` afterwards is the colour seen along ``M^T d`` before.

    Each band maps onto itself; ``A`` is found exactly by least squares over directions."""
    from marble.render.sh import sh_bases

    if degree == 0:
        return np.zeros((0, 0))
    dirs = torch.nn.functional.normalize(torch.randn(256, 3, dtype=torch.float64,
                                                     generator=torch.Generator().manual_seed(0)), dim=-1)
    moved = dirs @ torch.from_numpy(np.ascontiguousarray(M, dtype=np.float64))  # rows: M^T d
    B = sh_bases(degree, dirs)[:, 1:].numpy()
    Bm = sh_bases(degree, moved)[:, 1:].numpy()
    A = np.linalg.lstsq(B, Bm, rcond=None)[0]  # B @ A = Bm: f(M^T d) = B(d) @ (A @ c)
    A[np.abs(A) < 1e-9] = 0.0
    return A


def change_frame(
    means: np.ndarray,  # [N, 3]
    quats_wxyz: np.ndarray,  # [N, 4]
    sh_rest: np.ndarray | None,  # [N, K, 3]
    M: np.ndarray,  # [3, 3] orthogonal
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Splats in new coordinates ``p' = M p`` for an orthogonal ``M`` (a rotation, or an axis
    flip that mirrors): covariances ``M S M^T``, SH bands moved with them (:func:`sh_transform`).

    Returns:
        ``(means [N, 3], quats [N, 4] wxyz, sh_rest [N, K, 3] | None)``, float32.
    """
    from marble.geometry import quat_multiply, rotmat_to_quat

    M = np.asarray(M, dtype=np.float64)
    P = M if np.linalg.det(M) > 0 else -M  # M S M^T == P S P^T with P proper
    m = (means.astype(np.float64) @ M.T).astype(np.float32)
    qp = torch.from_numpy(rotmat_to_quat(P[None]).astype(np.float32)).expand(len(quats_wxyz), 4)
    q = quat_multiply(qp, torch.from_numpy(np.ascontiguousarray(quats_wxyz, dtype=np.float32))).numpy()
    sh = None
    if sh_rest is not None:
        k = sh_rest.shape[1]
        degree = {3: 1, 8: 2, 15: 3}[k]
        sh = np.einsum("jk,nkc->njc", sh_transform(M, degree), sh_rest.astype(np.float64)).astype(np.float32)
    return m, q, sh
