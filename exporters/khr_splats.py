"""Splats as a ``KHR_gaussian_splatting`` point primitive (glTF 2.0, Khronos).

Attributes written (all float32 except ``COLOR_0``): ``POSITION``, ``COLOR_0`` (the point-cloud
fallback: the diffuse colour decoded from sRGB to linear, as glTF defines ``COLOR_0``, and the
opacity; unsigned byte normalised), ``KHR_gaussian_splatting:ROTATION`` (unit xyzw),
``KHR_gaussian_splatting:SCALE`` (linear standard deviations in metres, never negative, as the
extension text requires), ``KHR_gaussian_splatting:OPACITY`` (sigmoid, in [0, 1]),
``KHR_gaussian_splatting:SH_DEGREE_0_COEF_0`` and ``SH_DEGREE_l_COEF_n`` for higher bands.
glTF is +Y up, metres, like the world frame, so nothing is flipped (see ``exporters.axes``).

Marble 0.1.0 and earlier wrote natural-log scales and ``asset.generator`` exactly ``"Marble"``;
:func:`legacy_log_scale` recognises those files (and only those) so they still import.
"""

from __future__ import annotations

import numpy as np

from exporters.gltf_builder import GltfBuilder
from exporters.scene import gaussians_from_numpy, limit_sh, to_numpy
from marble.color import linear_to_srgb, srgb_to_linear
from marble.errors import FormatError
from marble.gaussians import SH_C0, Gaussians

EXT = "KHR_gaussian_splatting"
PREFIX = EXT + ":"
EXT_PROPS = {"kernel": "ellipse", "colorSpace": "srgb_rec709_display", "projection": "perspective",
             "sortingMethod": "cameraDistance"}
_COEFS = {1: 3, 2: 5, 3: 7}
LEGACY_GENERATOR = "Marble"  # what writers that stored log-space SCALE put in asset.generator
MIN_SCALE = 1e-12  # a SCALE of 0 (allowed by the extension) is read as this, to keep log-scales finite


def sh_attribute_names(degree: int) -> list[str]:
    """Attribute names of SH bands 1..``degree`` in 3DGS rest-coefficient order."""
    return [f"{PREFIX}SH_DEGREE_{d}_COEF_{c}" for d in range(1, degree + 1) for c in range(_COEFS[d])]


def add_splat_primitive(b: GltfBuilder, g: Gaussians, *, sh_degree: int | None = None) -> dict:
    """Store ``g`` (``N`` splats) in ``b``'s buffer and return the POINTS primitive dict that references it.

    ``SCALE`` is ``exp(log_scales)`` (``[N, 3]`` linear sigmas), ``COLOR_0`` the linear RGB of
    ``sh0 * SH_C0 + 0.5`` (clamped to [0, 1]) with the opacity as alpha (``[N, 4]`` uint8).
    """
    a = to_numpy(g)
    sig = 1.0 / (1.0 + np.exp(-a["opacity_logits"].astype(np.float64)))
    rgb = srgb_to_linear(np.clip(a["sh0"].astype(np.float64) * SH_C0 + 0.5, 0, 1))
    color = np.concatenate([rgb, sig[:, None]], axis=1)
    attrs = {
        "POSITION": b.add_accessor(a["means"], min_max=True),
        "COLOR_0": b.add_accessor(np.round(color * 255).astype(np.uint8), normalized=True),
        PREFIX + "ROTATION": b.add_accessor(a["quats"][:, [1, 2, 3, 0]].astype(np.float32)),
        PREFIX + "SCALE": b.add_accessor(np.exp(a["log_scales"].astype(np.float64)).astype(np.float32)),
        PREFIX + "OPACITY": b.add_accessor(sig.astype(np.float32)),
        PREFIX + "SH_DEGREE_0_COEF_0": b.add_accessor(a["sh0"]),
    }
    rest = limit_sh(g, sh_degree)
    if rest is not None:
        degree = {3: 1, 8: 2, 15: 3}[rest.shape[1]]
        for k, name in enumerate(sh_attribute_names(degree)):
            attrs[name] = b.add_accessor(np.ascontiguousarray(rest[:, k, :]))
    b.use_extension(EXT)
    return {"attributes": attrs, "mode": 0, "extensions": {EXT: dict(EXT_PROPS)}}


def is_splat_primitive(prim: dict) -> bool:
    """True for a POINTS primitive carrying the extension (or its attributes)."""
    ext = (prim.get("extensions") or {}).get(EXT)
    attrs = prim.get("attributes") or {}
    return ext is not None or (PREFIX + "ROTATION") in attrs


def legacy_log_scale(doc: dict) -> bool:
    """True when ``doc`` was written by Marble 0.1.0 or earlier, which stored ``SCALE`` as natural
    logs: ``asset.generator`` is exactly ``"Marble"`` (newer versions write ``"Marble <version>"``)."""
    asset = doc.get("asset") if isinstance(doc.get("asset"), dict) else {}
    return asset.get("generator") == LEGACY_GENERATOR


def linear_scales_to_log(scale: np.ndarray, *, name: str) -> np.ndarray:  # [N, 3] -> [N, 3]
    """Natural-log scales from the extension's linear ``SCALE`` values.

    Raises:
        FormatError: a value is negative, NaN or infinite (one line naming the file and attribute).
    """
    bad = ~np.isfinite(scale)
    if bad.any():
        raise FormatError(f"{name}: {PREFIX}SCALE holds {int(bad.any(axis=1).sum())} non-finite value(s) "
                          "(NaN or Inf); scales must be finite linear sizes")
    neg = scale < 0
    if neg.any():
        raise FormatError(f"{name}: {PREFIX}SCALE holds {int(neg.any(axis=1).sum())} negative value(s) "
                          f"(min {float(scale.min()):.4g}); the extension stores linear sizes, which must not be negative")
    return np.log(np.maximum(scale.astype(np.float64), MIN_SCALE)).astype(np.float32)


def decode_splat_primitive(prim: dict, read, *, name: str, log_scale: bool = False) -> Gaussians:
    """Splats from a primitive; ``read(accessor_index) -> float array [N, C]`` (normalised applied).

    Args:
        log_scale: the file stores ``SCALE`` as natural logs (Marble 0.1.0 and earlier, see
            :func:`legacy_log_scale`); otherwise it is linear, as the extension specifies.
    Raises:
        FormatError: a required attribute is missing, counts differ, or SCALE values are negative or
            non-finite.
    """
    attrs = prim.get("attributes") or {}
    for req in ("POSITION", PREFIX + "ROTATION", PREFIX + "SCALE"):
        if req not in attrs:
            raise FormatError(f"{name}: KHR_gaussian_splatting primitive has no {req} attribute")
    means = read(attrs["POSITION"]).reshape(-1, 3)
    n = means.shape[0]

    def get(key, comps):
        arr = read(attrs[key]).reshape(-1, comps) if comps > 1 else read(attrs[key]).reshape(-1)
        if arr.shape[0] != n:
            raise FormatError(f"{name}: attribute {key} has {arr.shape[0]} values but POSITION has {n}")
        return arr.astype(np.float32)

    xyzw = get(PREFIX + "ROTATION", 4)
    quats = xyzw[:, [3, 0, 1, 2]]
    scale = get(PREFIX + "SCALE", 3)
    if not log_scale:
        scale = linear_scales_to_log(scale, name=name)
    if PREFIX + "OPACITY" in attrs:
        op = np.clip(get(PREFIX + "OPACITY", 1), 1e-6, 1 - 1e-6)
    elif "COLOR_0" in attrs:
        c = read(attrs["COLOR_0"])
        op = np.clip(c.reshape(n, -1)[:, 3], 1e-6, 1 - 1e-6) if c.size == 4 * n else np.full(n, 0.99, np.float32)
    else:
        op = np.full(n, 0.99, np.float32)
    logits = np.log(op / (1 - op)).astype(np.float32)
    if PREFIX + "SH_DEGREE_0_COEF_0" in attrs:
        sh0 = get(PREFIX + "SH_DEGREE_0_COEF_0", 3)
    elif "COLOR_0" in attrs:  # COLOR_0 is linear (glTF); the splat colour is sRGB-encoded
        c = linear_to_srgb(read(attrs["COLOR_0"]).reshape(n, -1)[:, :3])
        sh0 = ((c - 0.5) / SH_C0).astype(np.float32)
    else:
        sh0 = np.zeros((n, 3), np.float32)
    degree = 0
    while degree < 3 and all(k in attrs for k in sh_attribute_names(degree + 1)):
        degree += 1
    rest = None
    if degree:
        rest = np.stack([get(k, 3) for k in sh_attribute_names(degree)], axis=1)
    from exporters.binary import require_finite

    require_finite(name, position=means, rotation=quats, scale=scale, color=sh0, sh=rest)
    norms = np.linalg.norm(quats, axis=1)
    if n and (norms < 1e-8).any():
        raise FormatError(f"{name}: zero-length rotations in KHR_gaussian_splatting:ROTATION")
    return gaussians_from_numpy(means, quats / norms[:, None], scale, logits, sh0, rest)
