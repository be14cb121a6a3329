"""``.splat``: the antimatter15 web-viewer layout, 32 bytes per splat, no header.

Per splat: position ``3 x float32``, linear scale ``3 x float32`` (``exp(log_scale)``), colour
``4 x uint8`` (RGB from the DC band, alpha = sigmoid(opacity)), rotation ``4 x uint8``
(``wxyz`` of the unit quaternion mapped by ``q * 128 + 128``). No SH bands. RDF frame, like
the ``.ply`` it is usually converted from (see ``exporters.axes``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from exporters.axes import convert
from exporters.binary import check_count, read_input_bytes, require_finite
from exporters.scene import ExportOptions, ExportScene, gaussians_from_numpy, to_numpy
from marble.errors import FormatError
from marble.gaussians import SH_C0, Gaussians
from marble.io import atomic_write

DEFAULT_AXES = "rdf"
RECORD = np.dtype([("pos", "<f4", 3), ("scale", "<f4", 3), ("rgba", "u1", 4), ("rot", "u1", 4)])
assert RECORD.itemsize == 32


def encode_splat(g: Gaussians, *, axes: str = DEFAULT_AXES) -> bytes:
    """The bytes of a ``.splat`` file for ``g`` (world frame)."""
    a = to_numpy(g)
    means, quats, _ = convert(a["means"], a["quats"], None, src="rub", dst=axes)
    rec = np.empty(g.num_splats, dtype=RECORD)
    rec["pos"] = means
    rec["scale"] = np.exp(a["log_scales"])
    rgb = np.clip(a["sh0"] * SH_C0 + 0.5, 0, 1)
    alpha = 1.0 / (1.0 + np.exp(-a["opacity_logits"]))
    rec["rgba"] = np.round(np.concatenate([rgb, alpha[:, None]], axis=1) * 255).astype(np.uint8)
    rec["rot"] = np.clip(np.round(quats * 128 + 128), 0, 255).astype(np.uint8)
    return rec.tobytes()


def write_splat(scene: ExportScene, path: Path, options: ExportOptions) -> list[Path]:
    """Write every splat of ``scene`` to a ``.splat`` file (atomically)."""
    data = encode_splat(scene.require_splats(path), axes=options.axes or DEFAULT_AXES)
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return [Path(path)]


def decode_splat(path: str | Path, data: bytes, *, axes: str = DEFAULT_AXES) -> Gaussians:
    """Splats (world frame) from the bytes of a ``.splat`` file."""
    name = Path(path).name
    if len(data) == 0 or len(data) % RECORD.itemsize:
        raise FormatError(f"{name}: size {len(data)} bytes is not a positive multiple of 32 (truncated or not a .splat)")
    n = check_count(path, len(data) // RECORD.itemsize)
    rec = np.frombuffer(data, dtype=RECORD, count=n)
    means = rec["pos"].astype(np.float32)
    scale = rec["scale"].astype(np.float32)
    require_finite(path, position=means, scale=scale)
    if (scale <= 0).any():
        raise FormatError(f"{name}: {int((scale <= 0).any(axis=1).sum())} splats have non-positive scales")
    rgba = rec["rgba"].astype(np.float32) / 255.0
    q = (rec["rot"].astype(np.float32) - 128.0) / 128.0
    norms = np.linalg.norm(q, axis=1)
    q = np.where(norms[:, None] < 1e-6, np.array([1, 0, 0, 0], np.float32), q / np.maximum(norms, 1e-6)[:, None])
    alpha = np.clip(rgba[:, 3], 0.5 / 255, 1 - 0.5 / 255)
    means, q, _ = convert(means, q, None, src=axes, dst="rub")
    return gaussians_from_numpy(
        means, q, np.log(scale), np.log(alpha / (1 - alpha)), (rgba[:, :3] - 0.5) / SH_C0
    )


def read_splat_file(path: str | Path, **options):
    """Import a ``.splat`` file as a one-layer World."""
    from exporters.importers import world_from_gaussians

    return world_from_gaussians(decode_splat(path, read_input_bytes(path), axes=options.get("axes") or DEFAULT_AXES), path)
