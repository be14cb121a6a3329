"""``render``: the one entry point that draws Gaussians from a batch of cameras.

The backend follows the tensors: gsplat when they live on CUDA, Marble's own tile rasterizer
(:mod:`marble.render.cpu`) everywhere else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from marble.camera import Camera, stack_cameras
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.limits import check_memory, limits

BACKENDS = ("auto", "cpu", "gsplat", "reference")

ANTIALIASED = True
"""Default of :func:`render`'s ``antialiased``: Marble's splats are built as surfaces (not trained
against a dilating rasterizer), so opacity compensation draws them at their true footprint; a
world's thin and distant parts (trunks, a horizon) drawn without it look up to twice as thick."""

MIP_FILTER = 0.1
"""Variance (pixels^2) of the screen-space low-pass when drawing ``antialiased``: Mip-Splatting's 2D
filter, chosen to approximate a one-pixel box filter (variance 1/12). With classic 3DGS's 0.3 every
edge and texture was blurred by half a pixel more than a pixel's own area blurs it: 0.4-1.6 dB of
held-out PSNR on every generated world (``scripts/bench_explore.py``), holes unchanged."""

CLASSIC_DILATION = 0.3
"""The same without opacity compensation (``antialiased=False``): what classic 3DGS viewers add."""


def low_pass(antialiased: bool) -> float:
    """The screen-space dilation (pixels^2) :func:`render` uses: :data:`MIP_FILTER` when
    ``antialiased``, else :data:`CLASSIC_DILATION`. Fitting (``pipelines.refine``) uses the same."""
    return MIP_FILTER if antialiased else CLASSIC_DILATION


@dataclass
class RenderOutput:
    """Images rendered from ``C`` cameras.

    Attributes:
        colors: ``[C, H, W, 3]`` RGB (background composited where given; black otherwise).
        alphas: ``[C, H, W, 1]`` accumulated opacity.
        depths: ``[C, H, W, 1]`` expected depth, alpha-weighted camera z; divide by ``alphas`` for the
            surface depth.
    """

    colors: Tensor
    alphas: Tensor
    depths: Tensor

    def surface_depth(self, *, min_alpha: float = 0.5) -> Tensor:
        """``[C, H, W]`` depth ``depths / alphas`` with ``inf`` where ``alphas < min_alpha``."""
        a = self.alphas[..., 0]
        d = self.depths[..., 0] / a.clamp_min(1e-8)
        return torch.where(a >= min_alpha, d, torch.full_like(d, math.inf))

    def images_uint8(self):
        """``[C, H, W, 3]`` uint8 numpy images (colours clamped to [0, 1])."""
        return (self.colors.detach().clamp(0, 1) * 255 + 0.5).to(torch.uint8).cpu().numpy()


BYTES_PER_PIXEL = 256
"""Peak bytes the CPU rasterizer uses per output pixel (measured: 240-260 on 512-1024 px renders)."""
BYTES_PER_SPLAT = 160
"""Peak bytes per splat and camera for projection and binning."""


def check_inputs(gaussians: Gaussians, cameras: list[Camera], width: int, height: int, sh_degree: int | None) -> None:
    """Raise ``InputError`` (a ``ValueError``) naming the bad argument."""
    if not isinstance(gaussians, Gaussians):
        raise InputError(f"`gaussians` must be a marble.gaussians.Gaussians, got {type(gaussians).__name__}")
    if gaussians.num_splats == 0:
        raise InputError("`gaussians` is empty: there is nothing to render (add splats or pick a non-empty world)")
    gaussians.validate()
    if isinstance(cameras, Camera):
        raise InputError("`cameras` must be a list of Camera, got a single Camera: wrap it in a list")
    if not cameras:
        raise InputError("`cameras` is empty: pass at least one Camera")
    for i, cam in enumerate(cameras):
        if not isinstance(cam, Camera):
            raise InputError(f"`cameras[{i}]` must be a Camera, got {type(cam).__name__}")
        for name in ("fx", "fy"):
            v = getattr(cam, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise InputError(f"`cameras[{i}].{name}` must be a positive focal length in pixels, got {v}")
        cam.validate()
    side = limits().max_image_side
    for name, v in (("width", width), ("height", height)):
        if int(v) != v or v < 1 or v > side:
            raise InputError(f"`{name}` must be an integer in 1..{side}, got {v}")
    # outputs and per-pixel buffers plus per-camera projections; the rasterizer checks again once it
    # knows how many splat-tile pairs the splats' sizes make (see marble.render.cpu.bin_tiles)
    check_memory(len(cameras) * (int(width) * int(height) * BYTES_PER_PIXEL + gaussians.num_splats * BYTES_PER_SPLAT),
                 f"rendering {len(cameras)} view(s) of {gaussians.num_splats:,} splats at {width}x{height}")
    if sh_degree is not None and sh_degree not in (0, 1, 2, 3):
        raise InputError(f"`sh_degree` must be 0, 1, 2 or 3, got {sh_degree}")
    if sh_degree is not None and sh_degree > gaussians.sh_degree:
        raise InputError(f"`sh_degree` is {sh_degree} but the splats store SH up to degree {gaussians.sh_degree}")


def _background(background, C: int, device, dtype) -> Tensor | None:
    if background is None:
        return None
    bg = torch.as_tensor(background, dtype=dtype, device=device)
    if bg.shape == (3,):
        bg = bg[None].expand(C, 3)
    if bg.shape != (C, 3):
        raise InputError(f"`background` must have shape [3] or [{C}, 3], got {list(bg.shape)}")
    if not torch.isfinite(bg).all():
        raise InputError("`background` contains NaN or Inf")
    return bg


def render(
    gaussians: Gaussians,
    cameras: list[Camera],
    *,
    width: int | None = None,
    height: int | None = None,
    background: Tensor | None = None,  # [3] or [C, 3]
    sh_degree: int | None = None,
    near: float = 0.01,
    far: float = 1e4,
    backend: str = "auto",
    antialiased: bool | None = None,
    fog=None,
    fog_mask: Tensor | None = None,
) -> RenderOutput:
    """Render splats from a batch of cameras.

    Args:
        gaussians: ``N`` splats (world coordinates).
        cameras: ``C`` cameras; all share one image size.
        width, height: image size; default to the first camera's; when given, cameras are resized
            (intrinsics scaled) to it.
        background: ``[3]`` or ``[C, 3]`` colour behind the splats; ``None`` leaves it black.
        sh_degree: SH bands to evaluate (default: all the splats store, up to 3).
        near, far: camera-z range rendered, metres.
        backend: ``"auto"`` (gsplat on CUDA, tile rasterizer otherwise), ``"cpu"`` (tile rasterizer on
            the tensors' device), ``"gsplat"`` or ``"reference"`` (slow per-pixel reference).
        antialiased: a :data:`MIP_FILTER` low-pass with each splat's opacity compensated for it
            (Mip-Splatting's 2D filter) so splats smaller than a pixel are not drawn bigger than they
            are; ``None``: :data:`ANTIALIASED`. ``False`` draws as classic 3DGS viewers do (a
            :data:`CLASSIC_DILATION` dilation, no compensation).
        fog: a :class:`marble.render.fog.Fog`: each splat is veiled by its own distance to each
            camera (cameras are then drawn one at a time). ``None``: colours as stored.
        fog_mask: ``[N]`` bool, the splats the fog applies to (default: all).
    Returns:
        :class:`RenderOutput` with ``colors [C, H, W, 3]``, ``alphas [C, H, W, 1]``, ``depths [C, H, W, 1]``.

    Raises:
        InputError: empty or non-finite splats, bad cameras, an image side over the limit (8192),
            a bad ``background`` or ``sh_degree``, an unknown ``backend``.
    """
    if isinstance(cameras, (list, tuple)) and cameras and isinstance(cameras[0], Camera):
        w0, h0 = cameras[0].width, cameras[0].height
    else:
        w0 = h0 = 1
    width = w0 if width is None else width
    height = h0 if height is None else height
    check_inputs(gaussians, cameras, width, height, sh_degree)
    if backend not in BACKENDS:
        raise InputError(f"`backend` must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if not (math.isfinite(near) and math.isfinite(far) and 0 < near < far):
        raise InputError(f"`near` and `far` must satisfy 0 < near < far, got near={near}, far={far}")
    width, height = int(width), int(height)
    cams = [c if (c.width, c.height) == (width, height) else c.resized(width, height) for c in cameras]
    dev = gaussians.device
    viewmats, Ks = stack_cameras(cams, dev)
    bg = _background(background, len(cams), dev, torch.float32)
    g = gaussians
    colors = g.sh_coeffs()  # [N, K, 3]
    deg = g.sh_degree if sh_degree is None else sh_degree
    args = (g.means, g.quats, g.scales, g.opacities, colors, viewmats, Ks, width, height)
    aa = ANTIALIASED if antialiased is None else bool(antialiased)
    kw = dict(sh_degree=deg, near=near, far=far, background=bg, antialiased=aa, eps2d=low_pass(aa))
    if backend == "auto":
        backend = "gsplat" if dev.type == "cuda" else "cpu"
    if fog is not None:
        if fog_mask is not None and tuple(fog_mask.shape) != (g.num_splats,):
            raise InputError(f"`fog_mask` must have shape [{g.num_splats}], got {list(fog_mask.shape)}")
        from marble.render.fog import fogged_sh

        parts = []
        for c, cam in enumerate(cams):
            sh = fogged_sh(colors, g.means, cam.position.to(dev, torch.float32), fog, fog_mask)
            one = (g.means, g.quats, g.scales, g.opacities, sh, viewmats[c:c + 1], Ks[c:c + 1], width, height)
            parts.append(_rasterize(backend, dev, one, {**kw, "background": None if bg is None else bg[c:c + 1]}))
        rgb, alpha, depth = (torch.cat(x) for x in zip(*parts))
        return RenderOutput(colors=rgb, alphas=alpha, depths=depth)
    rgb, alpha, depth = _rasterize(backend, dev, args, kw)
    return RenderOutput(colors=rgb, alphas=alpha, depths=depth)


def _rasterize(backend: str, dev, args: tuple, kw: dict):
    """``(rgb, alpha, depth)`` from the chosen backend."""
    if backend == "gsplat":
        if dev.type != "cuda":
            raise InputError("`backend` 'gsplat' needs the splats on a CUDA device: move them with .to('cuda')")
        from marble.render import gsplat_backend  # lazy: gsplat loads only on CUDA

        return gsplat_backend.rasterize(*args, **kw)
    elif backend == "reference":
        from marble.render.reference import render_dense

        return render_dense(*args, **kw)
    else:
        from marble.render.cpu import rasterize

        return rasterize(*args, **kw)
