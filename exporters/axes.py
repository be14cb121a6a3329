"""Axis conventions of splat formats and the conversions between them.

Marble's world frame is right-handed, +Y up, metres; numerically it is **RUB** (x right, y up,
z back), the frame of glTF, three.js and SPZ files, so those need no change.

The 3DGS ``.ply`` family (``.ply``, ``.compressed.ply``, ``.splat``) is by common agreement
**RDF** (x right, y down, z forward: the OpenCV/COLMAP frame of the original training code);
SuperSplat and PlayCanvas splat-transform read these files as RDF. RUB -> RDF is a rotation of
180 degrees about X: ``(x, y, z) -> (x, -y, -z)``. It is its own inverse.
"""

from __future__ import annotations

import numpy as np

FRAMES = ("rub", "rdf")

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
