"""Procedural albedo: every material is deterministic, in range, patterned, seamless and fast enough."""

from __future__ import annotations

import numpy as np
import pytest

from marble.errors import InputError
from marble.vocab import MATERIALS
from pipelines.procedural import albedo
from pipelines.procedural.noise import fbm2, fbm3, value_noise2, value_noise3


def sample(n=4000, seed=0, extent=5.0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(-extent, extent, (n, 3)).astype(np.float32)
    nrm = rng.normal(size=(n, 3)).astype(np.float32)
    return p, nrm


@pytest.mark.parametrize("material", list(MATERIALS))
def test_albedo_deterministic_in_range_and_varied(material):
    p, n = sample()
    col = MATERIALS[material].color
    a = albedo(material, col, p, n, seed=7)
    b = albedo(material, col, p, n, seed=7)
    assert a.dtype == np.float32 and a.shape == (len(p), 3)
    np.testing.assert_array_equal(a, b)
    assert a.min() >= 0.0 and a.max() <= 1.0
    assert a.std(0).max() > 0.002, "no spatial variation"
    # tinted by the colour: the mean is close to the requested colour
    np.testing.assert_allclose(a.mean(0), col, atol=0.08)
    c = albedo(material, col, p, n, seed=8)
    assert not np.array_equal(a, c), "the seed does not change the pattern"


@pytest.mark.parametrize("material", list(MATERIALS))
def test_albedo_is_continuous_in_space(material):
    """Neighbouring pixels of different views see nearly the same colour (seams only at pattern joints)."""
    p, n = sample(3000, seed=1)
    n = np.tile(np.array([[0.0, 1.0, 0.2]], np.float32), (len(p), 1))  # one projection for the pair
    a = albedo(material, (0.5, 0.5, 0.5), p, n, seed=0)
    b = albedo(material, (0.5, 0.5, 0.5), p + np.float32(5e-4), n, seed=0)
    d = np.abs(a - b).max(1)
    assert np.quantile(d, 0.97) < 0.03
    assert d.max() < 0.8


def test_colour_tints_the_pattern():
    p, n = sample(2000)
    red = albedo("fabric", (0.8, 0.1, 0.1), p, n, seed=0).mean(0)
    blue = albedo("fabric", (0.1, 0.1, 0.8), p, n, seed=0).mean(0)
    assert red[0] > 3 * red[2] and blue[2] > 3 * blue[0]


def test_structured_patterns_show_their_structure():
    # bricks: mortar lines are lighter and grey, found at regular heights on a wall
    y = np.linspace(0, 1.0, 2000, dtype=np.float32)
    p = np.stack([np.full_like(y, 0.3), y, np.zeros_like(y)], 1)
    n = np.tile(np.array([[0.0, 0.0, 1.0]], np.float32), (len(y), 1))
    a = albedo("brick", MATERIALS["brick"].color, p, n, seed=0)
    mortar = np.abs(a[:, 0] - a[:, 2]) < 0.1  # grey, not red
    assert 0.03 < mortar.mean() < 0.3
    # tiles: grout lines along both axes on a floor
    x = np.linspace(0, 2.0, 4000, dtype=np.float32)
    p = np.stack([x, np.zeros_like(x), np.full_like(x, 0.13)], 1)
    n = np.tile(np.array([[0.0, 1.0, 0.0]], np.float32), (len(x), 1))
    t = albedo("tile", MATERIALS["tile"].color, p, n, seed=0)
    dips = np.abs(np.diff(t[:, 0])) > 0.04
    assert dips.sum() >= 4


def test_noise_primitives_are_smooth_and_in_range():
    rng = np.random.default_rng(0)
    p3 = rng.uniform(-100, 100, (5000, 3)).astype(np.float32)
    p2 = p3[:, :2].copy()
    for f, p in ((value_noise3, p3), (value_noise2, p2), (fbm3, p3), (fbm2, p2)):
        v = f(p, seed=3)
        assert v.dtype == np.float32 and v.min() >= 0 and v.max() <= 1 and v.std() > 0.05
        # continuous across lattice planes
        q = np.round(p)
        eps = np.float32(1e-3)
        assert np.abs(f(q - eps, seed=3) - f(q + eps, seed=3)).max() < 0.05
        assert not np.array_equal(v, f(p, seed=4))


def test_bad_input():
    p, n = sample(10)
    with pytest.raises(InputError, match="material"):
        albedo("unobtainium", (0.5, 0.5, 0.5), p, n, seed=0)
    with pytest.raises(InputError, match="points"):
        albedo("wood", (0.5, 0.5, 0.5), p[:, :2], n, seed=0)
    with pytest.raises(InputError, match="normals"):
        albedo("wood", (0.5, 0.5, 0.5), p, n[:5], seed=0)
    with pytest.raises(InputError, match="color"):
        albedo("wood", (0.5, 0.5), p, n, seed=0)
    assert albedo("wood", (0.5, 0.5, 0.5), p[:0], n[:0], seed=0).shape == (0, 3)
