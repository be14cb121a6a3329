"""``.ply``: the standard 3D Gaussian splatting layout (INRIA 3DGS, gsplat, nerfstudio, SuperSplat).

One ``vertex`` element of float32 properties: ``x y z nx ny nz f_dc_0..2 f_rest_0..(3K-1)
opacity scale_0..2 rot_0..3``; ``opacity`` is the pre-sigmoid logit, ``scale_*`` are natural
logs, ``rot_*`` is ``wxyz``, and ``f_rest`` is channel-major (all R coefficients, then G, then B).
Coordinates are written in the RDF frame these tools assume (see ``exporters.axes``) unless
``axes="rub"`` is passed; the reader converts back to the world frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from exporters.axes import convert
from exporters.binary import read_input_bytes, require_finite
from exporters.plyfile import ply_header, read_ply
from exporters.scene import (
    ExportOptions,
    ExportScene,
    gaussians_from_numpy,
    limit_sh,
    to_numpy,
)
from marble.errors import FormatError
from marble.gaussians import Gaussians, rgb_to_sh0
from marble.io import atomic_write

DEFAULT_AXES = "rdf"


def ply_fields(k: int) -> list[str]:
    """Property names of a splat PLY with ``k`` SH rest coefficients per channel."""
    return (
        ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
        + [f"f_rest_{i}" for i in range(3 * k)]
        + ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    )


def encode_ply(g: Gaussians, *, sh_degree: int | None = None, axes: str = DEFAULT_AXES) -> bytes:
    """The bytes of a 3DGS ``.ply`` holding ``g`` (world frame) converted to ``axes``."""
    a = to_numpy(g)
    rest = limit_sh(g, sh_degree)
    means, quats, rest = convert(a["means"], a["quats"], rest, src="rub", dst=axes)
    n = g.num_splats
    k = 0 if rest is None else rest.shape[1]
    names = ply_fields(k)
    cols = np.empty((n, len(names)), dtype="<f4")
    cols[:, 0:3] = means
    cols[:, 3:6] = 0.0
    cols[:, 6:9] = a["sh0"]
    if k:
        cols[:, 9 : 9 + 3 * k] = rest.transpose(0, 2, 1).reshape(n, 3 * k)  # channel-major
    o = 9 + 3 * k
    cols[:, o] = a["opacity_logits"]
    cols[:, o + 1 : o + 4] = a["log_scales"]
    cols[:, o + 4 : o + 8] = quats
    header = ply_header([("vertex", n, [(f, "f4") for f in names])], comments=[f"marble axes={axes}"])
    return header + cols.tobytes()


def write_ply(scene: ExportScene, path: Path, options: ExportOptions) -> list[Path]:
    """Write every splat of ``scene`` to ``path`` (atomically)."""
    g = scene.require_splats(path)
    data = encode_ply(g, sh_degree=options.sh_degree, axes=options.axes or DEFAULT_AXES)
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return [Path(path)]


def decode_ply(path: str | Path, data: bytes, *, axes: str | None = None) -> Gaussians:
    """Splats (world frame) from the bytes of a 3DGS ``.ply`` (or a coloured point-cloud PLY).

    Args:
        axes: frame the file is in; ``None`` reads Marble's ``comment marble axes=`` or assumes RDF.
    """
    name = Path(path).name
    elements = read_ply(path, data)
    if "vertex" not in elements:
        raise FormatError(f"{name}: PLY has no 'vertex' element")
    v = elements["vertex"]
    props = set(v.dtype.names or ())
    for req in ("x", "y", "z"):
        if req not in props:
            raise FormatError(f"{name}: PLY vertex element has no {req!r} property")
    if axes is None:
        axes = "rub" if b"comment marble axes=rub" in data[:4096] else DEFAULT_AXES
    n = len(v)
    f = lambda key: np.asarray(v[key], dtype=np.float32)  # noqa: E731
    means = np.stack([f("x"), f("y"), f("z")], axis=1)
    if {"f_dc_0", "f_dc_1", "f_dc_2"} <= props:
        sh0 = np.stack([f("f_dc_0"), f("f_dc_1"), f("f_dc_2")], axis=1)
    elif {"red", "green", "blue"} <= props:
        rgb = np.stack([f("red"), f("green"), f("blue")], axis=1)
        if v.dtype["red"].kind in "ui":
            rgb = rgb / 255.0
        sh0 = rgb_to_sh0(rgb).astype(np.float32)
    else:
        sh0 = np.zeros((n, 3), np.float32)
    opacity = f("opacity") if "opacity" in props else np.full(n, 4.0, np.float32)
    if {"scale_0", "scale_1", "scale_2"} <= props:
        log_scales = np.stack([f("scale_0"), f("scale_1"), f("scale_2")], axis=1)
    else:
        log_scales = np.full((n, 3), np.log(0.01), np.float32)
    if {"rot_0", "rot_1", "rot_2", "rot_3"} <= props:
        quats = np.stack([f("rot_0"), f("rot_1"), f("rot_2"), f("rot_3")], axis=1)
    else:
        quats = np.tile(np.array([1, 0, 0, 0], np.float32), (n, 1))
    k3 = 0
    while f"f_rest_{k3}" in props:
        k3 += 1
    rest = None
    if k3:
        if k3 % 3 or (k3 // 3) not in (3, 8, 15):
            raise FormatError(f"{name}: {k3} f_rest properties is not a valid SH layout (need 9, 24 or 45)")
        k = k3 // 3
        flat = np.stack([f(f"f_rest_{i}") for i in range(k3)], axis=1)
        rest = flat.reshape(n, 3, k).transpose(0, 2, 1).copy()
    require_finite(path, position=means, color=sh0, opacity=opacity, scale=log_scales, rotation=quats, sh=rest)
    norms = np.linalg.norm(quats, axis=1)
    if n and (norms < 1e-8).any():
        raise FormatError(f"{name}: {int((norms < 1e-8).sum())} splats have zero-length rotations")
    quats = quats / norms[:, None]
    means, quats, rest = convert(means, quats, rest, src=axes, dst="rub")
    return gaussians_from_numpy(means, quats, log_scales, opacity, sh0, rest)


def read_ply_file(path: str | Path, **options):
    """Import a splat ``.ply`` as a one-layer :class:`~marble.world.World`."""
    from exporters.importers import world_from_gaussians

    data = read_input_bytes(path)
    return world_from_gaussians(decode_ply(path, data, axes=options.get("axes")), path)
