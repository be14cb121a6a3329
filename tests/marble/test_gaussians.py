import math

import pytest
import torch

from marble.errors import InputError
from marble.gaussians import SH_C0, Gaussians, rgb_to_sh0, sh0_to_rgb
from marble.geometry import quat_multiply, quat_to_rotmat, rotmat_to_quat


def random_gaussians(n=50, seed=0, sh_degree=0):
    g = torch.Generator().manual_seed(seed)
    k = (sh_degree + 1) ** 2 - 1
    return Gaussians(
        means=torch.randn(n, 3, generator=g),
        quats=torch.randn(n, 4, generator=g),
        log_scales=torch.randn(n, 3, generator=g) * 0.3 - 3,
        opacity_logits=torch.randn(n, generator=g),
        sh0=torch.randn(n, 3, generator=g),
        shN=torch.randn(n, k, 3, generator=g) if k else None,
    )


def rot_y(a):
    c, s = math.cos(a), math.sin(a)
    return torch.tensor([[c, 0, s], [0, 1, 0], [-s, 0, c]], dtype=torch.float64)


def test_sh0_roundtrip_and_constant():
    rgb = torch.rand(10, 3)
    assert torch.allclose(sh0_to_rgb(rgb_to_sh0(rgb)), rgb, atol=1e-6)
    assert abs(SH_C0 - 0.5 / math.sqrt(math.pi)) < 1e-12


def test_quat_rotmat_roundtrip():
    q = torch.randn(200, 4, dtype=torch.float64)
    q = q / q.norm(dim=-1, keepdim=True)
    R = quat_to_rotmat(q)
    assert torch.allclose(R @ R.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand(200, 3, 3), atol=1e-10)
    q2 = rotmat_to_quat(R)
    # same rotation up to sign
    assert torch.allclose(quat_to_rotmat(q2), R, atol=1e-10)
    assert (q2[:, 0] >= 0).all()


def test_quat_multiply_composes_rotations():
    a = torch.nn.functional.normalize(torch.randn(20, 4, dtype=torch.float64), dim=-1)
    b = torch.nn.functional.normalize(torch.randn(20, 4, dtype=torch.float64), dim=-1)
    assert torch.allclose(quat_to_rotmat(quat_multiply(a, b)), quat_to_rotmat(a) @ quat_to_rotmat(b), atol=1e-10)


@pytest.mark.parametrize(
    "field,value,needle",
    [
        ("means", torch.zeros(5, 2), "means"),
        ("quats", torch.zeros(5, 3), "quats"),
        ("log_scales", torch.zeros(4, 3), "log_scales"),
        ("opacity_logits", torch.zeros(5, 1), "opacity_logits"),
        ("sh0", torch.zeros(5, 4), "sh0"),
        ("shN", torch.zeros(5, 4, 3), "shN"),
    ],
)
def test_validate_names_field_and_shape(field, value, needle):
    g = random_gaussians(5)
    setattr(g, field, value)
    with pytest.raises(InputError, match=needle):
        g.validate()


def test_validate_rejects_nan_and_dtype():
    g = random_gaussians(5)
    g.means[2, 1] = float("nan")
    with pytest.raises(InputError, match=r"means contains NaN or Inf in 1 of 5"):
        g.validate()
    g = random_gaussians(5)
    g.sh0 = g.sh0.double()
    with pytest.raises(InputError, match="float32"):
        g.validate()


def test_select_concat_and_sh_padding():
    a = random_gaussians(10, seed=1, sh_degree=1)
    b = random_gaussians(7, seed=2)
    c = Gaussians.concat([a, b])
    assert c.num_splats == 17 and c.sh_degree == 1
    assert torch.equal(c.shN[10:], torch.zeros(7, 3, 3))
    sel = c.select(torch.arange(17) % 2 == 0)
    assert sel.num_splats == 9
    assert torch.equal(sel.means, c.means[::2])
    with pytest.raises(InputError, match="selection mask"):
        c.select(torch.ones(3, dtype=torch.bool))


def test_transform_moves_means_rotates_quats_scales_log_scales():
    g = random_gaussians(30, seed=3)
    T = torch.eye(4, dtype=torch.float64)
    T[:3, :3] = rot_y(0.7) * 2.0
    T[:3, 3] = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    h = g.transform(T)
    expected = (g.means.double() @ (rot_y(0.7) * 2).T + T[:3, 3]).float()
    assert torch.allclose(h.means, expected, atol=1e-5)
    assert torch.allclose(h.log_scales, g.log_scales + math.log(2.0), atol=1e-6)
    # covariance rotates: R_new = R_T @ R_old
    assert torch.allclose(quat_to_rotmat(h.quats).double(), rot_y(0.7) @ quat_to_rotmat(g.quats).double(), atol=1e-5)
    # composition: T2 after T1 equals T2 @ T1
    T2 = torch.eye(4, dtype=torch.float64)
    T2[:3, :3] = rot_y(-0.2)
    T2[:3, 3] = torch.tensor([0.0, 3.0, 0.0], dtype=torch.float64)
    assert torch.allclose(h.transform(T2).means, g.transform(T2 @ T).means, atol=1e-4)


def test_transform_rejects_shear_and_reflection():
    g = random_gaussians(3)
    shear = torch.eye(4, dtype=torch.float64)
    shear[0, 0] = 2.0
    with pytest.raises(InputError, match="uniform scale"):
        g.transform(shear)
    flip = torch.diag(torch.tensor([-1.0, 1, 1, 1], dtype=torch.float64))
    with pytest.raises(InputError, match="reflection"):
        g.transform(flip)
    bad = torch.eye(4, dtype=torch.float64)
    bad[0, 3] = float("nan")
    with pytest.raises(InputError, match="NaN"):
        g.transform(bad)


def test_from_points_and_properties():
    pts = torch.rand(8, 3)
    cols = torch.rand(8, 3)
    g = Gaussians.from_points(pts, cols, scales=0.02, opacity=0.5)
    assert torch.allclose(g.colors, cols, atol=1e-6)
    assert torch.allclose(g.scales, torch.full((8, 3), 0.02), atol=1e-7)
    assert torch.allclose(g.opacities, torch.full((8,), 0.5), atol=1e-6)
    assert g.sh_coeffs().shape == (8, 1, 3)
    assert Gaussians.empty().num_splats == 0
