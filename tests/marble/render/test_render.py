"""Tile rasterizer vs references (dense per-pixel, gsplat's PyTorch projection, finite differences)."""

from __future__ import annotations

import math

import pytest
import torch

from marble.camera import Camera, stack_cameras
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.render import RenderOutput, render
from marble.render.cpu import rasterize
from marble.render.projection import project
from marble.render.reference import render_dense, render_per_gaussian
from marble.render.sh import eval_sh
from tests.support import REPO


def random_gaussians(n: int, *, seed: int = 0, sh_degree: int = 0, spread: float = 1.0) -> Gaussians:
    g = torch.Generator().manual_seed(seed)
    pts = (torch.rand(n, 3, generator=g) * 2 - 1) * spread
    cols = torch.rand(n, 3, generator=g)
    G = Gaussians.from_points(
        pts, cols, scales=torch.rand(n, 3, generator=g) * 0.2 + 0.02, opacity=torch.rand(n, generator=g) * 0.9 + 0.05
    )
    G.quats = torch.randn(n, 4, generator=g)
    if sh_degree:
        G.shN = torch.randn(n, (sh_degree + 1) ** 2 - 1, 3, generator=g) * 0.2
    return G


def two_cameras(w: int = 37, h: int = 29) -> list[Camera]:
    return [
        Camera.look_at((0, 0.5, 4), (0, 0, 0), width=w, height=h, fov_y_deg=50),
        Camera.look_at((3, 1, 2), (0, 0, 0), width=w, height=h, fov_y_deg=50),
    ]


@pytest.mark.parametrize("sh_degree", [0, 1, 3])
def test_tile_rasterizer_matches_dense_reference(sh_degree):
    G = random_gaussians(80, seed=sh_degree, sh_degree=sh_degree)
    cams = two_cameras()
    bg = torch.tensor([0.1, 0.2, 0.3])
    fast = render(G, cams, background=bg)
    ref = render(G, cams, background=bg, backend="reference")
    assert isinstance(fast, RenderOutput)
    assert fast.colors.shape == (2, 29, 37, 3) and fast.alphas.shape == (2, 29, 37, 1)
    assert fast.depths.shape == (2, 29, 37, 1)
    assert fast.alphas.max() > 0.5  # the scene is actually in view
    for a, b in ((fast.colors, ref.colors), (fast.alphas, ref.alphas), (fast.depths, ref.depths)):
        assert (a - b).abs().max().item() < 1e-4


@pytest.mark.parametrize("tile_size,chunk", [(16, 8), (4, 3), (8, 64)])
def test_tile_rasterizer_independent_of_tiling(tile_size, chunk):
    G = random_gaussians(120, seed=7, sh_degree=2)
    cams = two_cameras(41, 23)
    vm, K = stack_cameras(cams)
    args = (G.means, G.quats, G.scales, G.opacities, G.sh_coeffs(), vm, K, 41, 23)
    a = rasterize(*args, tile_size=tile_size, chunk=chunk)
    b = render_dense(*args)
    c = render_per_gaussian(*args)
    for x, y, z in zip(a, b, c):
        assert (x - y).abs().max().item() < 1e-4
        assert (x - z).abs().max().item() < 1e-4


def test_opaque_scene_terminates_early_and_matches():
    # many opaque splats stacked along the view axis: early termination must not change the image
    n = 300
    g = torch.Generator().manual_seed(3)
    pts = torch.zeros(n, 3)
    pts[:, 2] = torch.linspace(-1, 1, n)
    pts[:, :2] = (torch.rand(n, 2, generator=g) - 0.5) * 0.3
    G = Gaussians.from_points(pts, torch.rand(n, 3, generator=g), scales=0.3, opacity=0.99)
    cams = [Camera.look_at((0, 0, 4), (0, 0, 0), width=24, height=24, fov_y_deg=40)]
    a = render(G, cams)
    b = render(G, cams, backend="reference")
    assert a.alphas.max() > 0.999
    assert (a.colors - b.colors).abs().max() < 1e-4
    assert (a.depths - b.depths).abs().max() < 1e-4


def test_projection_matches_gsplat_torch_impl():
    gs = pytest.importorskip("gsplat.cuda._torch_impl")
    G = random_gaussians(200, seed=11, spread=1.5)
    cams = two_cameras(64, 48)
    vm, K = stack_cameras(cams)
    mine = project(G.means, G.quats, G.scales, G.opacities, vm, K, 64, 48)
    covars, _ = gs._quat_scale_to_covar_preci(G.quats, G.scales, compute_preci=False)
    radii, means2d, depths, conics, _ = gs._fully_fused_projection(covars=covars, means=G.means, viewmats=vm, Ks=K,
                                                                   width=64, height=48)
    front = depths > 0.01
    assert front.sum() > 100
    assert torch.allclose(mine.depths, depths, atol=1e-6)
    assert torch.allclose(mine.means2d[front], means2d[front], atol=1e-4, rtol=1e-6)
    assert torch.allclose(mine.conics[front], conics[front], atol=1e-5, rtol=1e-5)
    # our opacity-aware 3-sigma extent is never larger than gsplat's 3.33-sigma one (up to rounding)
    gs_vis = (radii > 0).all(-1)
    assert not (mine.visible & ~gs_vis).any()


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_sh_matches_gsplat(degree):
    gs = pytest.importorskip("gsplat.cuda._torch_impl")
    g = torch.Generator().manual_seed(degree)
    dirs = torch.randn(64, 3, generator=g)
    coeffs = torch.randn(64, 16, 3, generator=g)
    ref = torch.clamp_min(gs._spherical_harmonics(degree, dirs, coeffs) + 0.5, 0.0)
    assert torch.allclose(eval_sh(degree, coeffs, dirs), ref, atol=1e-5)


def test_gradients_match_finite_differences():
    # float64, a tiny scene well away from the alpha / extent thresholds
    g = torch.Generator().manual_seed(5)
    n = 4
    means = torch.tensor([[0.0, 0.0, 0.0], [0.3, 0.1, 0.4], [-0.25, -0.1, -0.3], [0.1, -0.25, 0.2]], dtype=torch.float64)
    quats = torch.randn(n, 4, generator=g, dtype=torch.float64)
    log_scales = torch.log(torch.tensor([[0.25, 0.2, 0.3]], dtype=torch.float64).expand(n, 3).clone())
    logits = torch.logit(torch.tensor([0.5, 0.6, 0.4, 0.7], dtype=torch.float64))
    colors = torch.rand(n, 4, 3, generator=g, dtype=torch.float64) * 0.3
    cam = Camera.look_at((0.2, 0.3, 2.5), (0, 0, 0), width=6, height=5, fov_y_deg=45)
    vm, K = stack_cameras([cam])
    vm, K = vm.double(), K.double()

    def f(means, quats, log_scales, logits, colors):
        rgb, alpha, depth = rasterize(means, quats, log_scales.exp(), torch.sigmoid(logits), colors, vm, K, 6, 5,
                                      tile_size=4, chunk=2)
        return torch.cat([rgb.reshape(-1), alpha.reshape(-1), depth.reshape(-1)])

    inputs = tuple(t.clone().requires_grad_(True) for t in (means, quats, log_scales, logits, colors))
    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=True)
    # and each parameter group on its own gets a non-zero gradient
    f(*inputs).sum().backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in inputs)


def test_render_backgrounds_and_resizing():
    G = random_gaussians(30, seed=2)
    cams = two_cameras(40, 30)
    out = render(G, cams, width=20, height=15, background=torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]))
    assert out.colors.shape == (2, 15, 20, 3)
    empty_px = out.alphas[..., 0] < 1e-6
    assert empty_px.any()
    assert torch.allclose(out.colors[0][empty_px[0]], torch.tensor([1.0, 0, 0]))
    d = out.surface_depth()
    assert torch.isinf(d[empty_px]).all()


def test_render_is_deterministic():
    G = random_gaussians(50, seed=4, sh_degree=1)
    a = render(G, two_cameras())
    b = render(G, two_cameras())
    assert torch.equal(a.colors, b.colors) and torch.equal(a.depths, b.depths)


@pytest.mark.parametrize(
    "mutate,needle",
    [
        (lambda G, cams: (Gaussians.empty(), cams, {}), "`gaussians` is empty"),
        (lambda G, cams: (G, cams, {"width": 9000}), "`width`"),
        (lambda G, cams: (G, cams, {"height": 0}), "`height`"),
        (lambda G, cams: (G, [], {}), "`cameras`"),
        (lambda G, cams: (G, cams, {"background": torch.ones(4)}), "`background`"),
        (lambda G, cams: (G, cams, {"backend": "vulkan"}), "`backend`"),
        (lambda G, cams: (G, cams, {"sh_degree": 2}), "`sh_degree`"),
    ],
)
def test_bad_input_raises_value_error(mutate, needle):
    G = random_gaussians(10)
    g2, cams, kw = mutate(G, two_cameras())
    with pytest.raises(ValueError, match=needle.replace("`", r"\`")):
        render(g2, cams, **kw)


def test_nan_splats_and_bad_focal_rejected():
    G = random_gaussians(10)
    G.means[3, 1] = math.nan
    with pytest.raises(InputError, match="means"):
        render(G, two_cameras())
    cam = two_cameras()[0]
    cam.fx = 0.0
    with pytest.raises(ValueError, match="fx"):
        render(random_gaussians(10), [cam])
    with pytest.raises(ValueError, match="fy"):
        Camera(fx=10, fy=-1, cx=5, cy=5, width=10, height=10)


@pytest.mark.cuda  # gsplat's rasterizer
def test_cpu_rasterizer_matches_gsplat_on_cuda():
    import sys

    sys.path.insert(0, str(REPO))
    from scripts.bench_render import make_camera, make_scene

    G = make_scene(20_000)
    cams = [make_camera(128), Camera.look_at((4.0, 3.0, 8.0), (0.0, 0.5, 0.0), width=128, height=128)]
    cpu = render(G, cams, background=torch.tensor([0.2, 0.3, 0.4]))
    gpu = render(G.to("cuda"), cams, background=torch.tensor([0.2, 0.3, 0.4]), backend="gsplat")
    mse = ((cpu.colors - gpu.colors.cpu()) ** 2).mean()
    psnr = -10 * torch.log10(mse)
    assert psnr >= 40.0, float(psnr)
    assert (cpu.alphas - gpu.alphas.cpu()).abs().mean() < 0.01


def test_antialiased_compensation_matches_gsplat_torch_impl():
    gs = pytest.importorskip("gsplat.cuda._torch_impl")
    G = random_gaussians(200, seed=12, spread=1.5)
    cams = two_cameras(64, 48)
    vm, K = stack_cameras(cams)
    mine = project(G.means, G.quats, G.scales, G.opacities, vm, K, 64, 48, antialiased=True)
    covars, _ = gs._quat_scale_to_covar_preci(G.quats, G.scales, compute_preci=False)
    _r, _m, depths, _c, comp = gs._fully_fused_projection(covars=covars, means=G.means, viewmats=vm, Ks=K,
                                                         width=64, height=48, calc_compensations=True)
    front = depths > 0.01
    assert torch.allclose(mine.compensation[front], comp[front], atol=1e-5, rtol=1e-4)
    assert (mine.compensation[front] < 0.999).any()  # some splats are small enough to be compensated
    classic = project(G.means, G.quats, G.scales, G.opacities, vm, K, 64, 48)
    assert torch.equal(classic.compensation, torch.ones_like(classic.compensation))


@pytest.mark.parametrize("antialiased", [False, True])
def test_antialiased_tiles_match_the_references(antialiased):
    G = random_gaussians(120, seed=9, sh_degree=1)
    cams = two_cameras(41, 23)
    vm, K = stack_cameras(cams)
    args = (G.means, G.quats, G.scales, G.opacities, G.sh_coeffs(), vm, K, 41, 23)
    a = rasterize(*args, antialiased=antialiased)
    b = render_dense(*args, antialiased=antialiased)
    c = render_per_gaussian(*args, antialiased=antialiased)
    for x, y, z in zip(a, b, c):
        assert (x - y).abs().max().item() < 1e-4
        assert (x - z).abs().max().item() < 1e-4


def test_antialiasing_keeps_a_sub_pixel_splat_its_true_footprint():
    # one opaque splat 0.2 px across: classic dilation paints it ~0.55 px wide at full opacity
    # (about 10x its area in alpha); compensated, its total alpha is its own area
    cam = Camera.look_at((0, 0, 5), (0, 0, 0), width=16, height=16, fov_y_deg=40)
    px = 5 * 2 * math.tan(math.radians(20)) / 16  # metres per pixel at the splat
    sigma = 0.2 * px
    classic = aa = 0.0
    offsets = [(i / 4 * px, j / 4 * px) for i in range(4) for j in range(4)]  # pixel samples alias: average
    for ox, oy in offsets:
        G = Gaussians.from_points(torch.tensor([[ox, oy, 0.0]]), torch.ones(1, 3), scales=sigma, opacity=0.5)
        classic += render(G, [cam], antialiased=False).alphas.sum().item() / len(offsets)
        aa += render(G, [cam], antialiased=True).alphas.sum().item() / len(offsets)
    true_area = 0.5 * 2 * math.pi * 0.2**2  # opacity x integral of the Gaussian, in pixels
    assert classic > 5 * true_area
    assert abs(aa - true_area) < 0.15 * true_area  # less the faint tail under 1/255 alpha
    # a splat many pixels wide is hardly changed
    big = Gaussians.from_points(torch.zeros(1, 3), torch.ones(1, 3), scales=3 * px, opacity=0.5)
    a, b = render(big, [cam], antialiased=False).alphas, render(big, [cam], antialiased=True).alphas
    assert (a - b).abs().max().item() < 0.02
