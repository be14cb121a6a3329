"""The Gaussian splat container used by every stage.

Conventions (see DESIGN.md): world space is right-handed, +Y up, metres. Quaternions are
``wxyz`` and normalised on use. Colour is stored as spherical-harmonic coefficients: ``sh0`` is
the degree-0 (DC) band, so ``rgb = 0.5 + SH_C0 * sh0``; ``shN`` holds bands 1..3 when present.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Iterable

import torch
from torch import Tensor

from marble.errors import InputError
from marble.geometry import decompose_similarity, quat_multiply, rotmat_to_quat

SH_C0 = 0.28209479177387814
"""Degree-0 spherical-harmonic constant: ``rgb = 0.5 + SH_C0 * sh0``."""

_SH_BANDS = {0: 0, 3: 1, 8: 2, 15: 3}  # number of rest coefficients -> SH degree


def rgb_to_sh0(rgb: Tensor) -> Tensor:
    """Convert colours in [0, 1] to DC spherical-harmonic coefficients.

    Args:
        rgb: ``[..., 3]`` colours.
    Returns:
        ``[..., 3]`` coefficients such that ``sh0_to_rgb(rgb_to_sh0(x)) == x``.
    """
    return (rgb - 0.5) / SH_C0


def sh0_to_rgb(sh0: Tensor) -> Tensor:
    """Convert DC coefficients ``[..., 3]`` to colours (not clamped)."""
    return sh0 * SH_C0 + 0.5


@dataclass
class Gaussians:
    """A set of 3D Gaussians (splats), all tensors float32 on one device.

    Attributes:
        means: ``[N, 3]`` centres in metres.
        quats: ``[N, 4]`` rotations, ``wxyz``, normalised on use.
        log_scales: ``[N, 3]`` natural log of the standard deviations along the local axes.
        opacity_logits: ``[N]`` pre-sigmoid opacities.
        sh0: ``[N, 3]`` DC spherical-harmonic colour coefficients.
        shN: ``[N, K, 3]`` higher bands (K in 3, 8, 15 for degree 1..3) or ``None``.
    """

    means: Tensor
    quats: Tensor
    log_scales: Tensor
    opacity_logits: Tensor
    sh0: Tensor
    shN: Tensor | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def empty(cls, *, sh_degree: int = 0, device: str | torch.device = "cpu") -> "Gaussians":
        """An empty set with the right shapes."""
        k = (sh_degree + 1) ** 2 - 1
        z = lambda *s: torch.zeros(*s, dtype=torch.float32, device=device)  # noqa: E731
        return cls(z(0, 3), z(0, 4), z(0, 3), z(0), z(0, 3), z(0, k, 3) if k else None)

    @classmethod
    def from_points(
        cls,
        points: Tensor,  # [N, 3]
        colors: Tensor,  # [N, 3] in [0, 1]
        *,
        scales: Tensor | float = 0.01,  # [N, 3] | [N] | scalar, standard deviations in metres
        quats: Tensor | None = None,  # [N, 4]
        opacity: Tensor | float = 0.95,  # [N] | scalar in (0, 1)
    ) -> "Gaussians":
        """Build splats from coloured points.

        Args:
            points: ``[N, 3]`` centres.
            colors: ``[N, 3]`` RGB in [0, 1].
            scales: standard deviations, ``[N, 3]``, ``[N]`` (isotropic) or a scalar.
            quats: ``[N, 4]`` rotations (identity when ``None``).
            opacity: opacities in (0, 1), ``[N]`` or a scalar.
        """
        points = torch.as_tensor(points, dtype=torch.float32)
        n = points.shape[0]
        dev = points.device
        colors = torch.as_tensor(colors, dtype=torch.float32, device=dev)
        scales = torch.as_tensor(scales, dtype=torch.float32, device=dev)
        if scales.ndim == 0:
            scales = scales.expand(n, 3)
        elif scales.ndim == 1:
            scales = scales[:, None].expand(n, 3)
        if quats is None:
            quats = torch.zeros(n, 4, dtype=torch.float32, device=dev)
            quats[:, 0] = 1.0
        opacity = torch.as_tensor(opacity, dtype=torch.float32, device=dev).clamp(1e-6, 1 - 1e-6)
        if opacity.ndim == 0:
            opacity = opacity.expand(n)
        g = cls(
            means=points.contiguous(),
            quats=torch.as_tensor(quats, dtype=torch.float32, device=dev).contiguous(),
            log_scales=torch.log(scales.clamp_min(1e-8)).contiguous(),
            opacity_logits=torch.logit(opacity).contiguous(),
            sh0=rgb_to_sh0(colors).contiguous(),
        )
        g.validate()
        return g

    # ------------------------------------------------------------------ properties
    @property
    def num_splats(self) -> int:
        """Number of Gaussians N."""
        return int(self.means.shape[0])

    def __len__(self) -> int:
        return self.num_splats

    @property
    def device(self) -> torch.device:
        return self.means.device

    @property
    def sh_degree(self) -> int:
        """Highest spherical-harmonic degree stored (0 when ``shN`` is None)."""
        if self.shN is None:
            return 0
        return _SH_BANDS[int(self.shN.shape[1])]

    @property
    def scales(self) -> Tensor:
        """``[N, 3]`` standard deviations, ``exp(log_scales)``."""
        return self.log_scales.exp()

    @property
    def opacities(self) -> Tensor:
        """``[N]`` opacities in (0, 1), ``sigmoid(opacity_logits)``."""
        return torch.sigmoid(self.opacity_logits)

    @property
    def colors(self) -> Tensor:
        """``[N, 3]`` view-independent RGB from the DC band, clamped to [0, 1]."""
        return sh0_to_rgb(self.sh0).clamp(0.0, 1.0)

    def sh_coeffs(self) -> Tensor:
        """``[N, K+1, 3]`` all SH coefficients, DC first (the layout gsplat's ``colors`` takes)."""
        if self.shN is None:
            return self.sh0[:, None, :]
        return torch.cat([self.sh0[:, None, :], self.shN], dim=1)

    def tensors(self) -> dict[str, Tensor]:
        """The fields as a name -> tensor dict (``shN`` only when present)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if out["shN"] is None:
            del out["shN"]
        return out

    # ------------------------------------------------------------------ checks
    def validate(self) -> "Gaussians":
        """Check shapes, dtypes, devices and finiteness; return ``self``.

        Raises:
            InputError: naming the offending field and the shape or value received.
        """
        if not isinstance(self.means, Tensor) or self.means.ndim != 2 or self.means.shape[1] != 3:
            shape = tuple(self.means.shape) if isinstance(self.means, Tensor) else type(self.means).__name__
            raise InputError(f"Gaussians.means must have shape [N, 3], got {shape}")
        n = self.means.shape[0]
        expected = {
            "quats": (n, 4),
            "log_scales": (n, 3),
            "opacity_logits": (n,),
            "sh0": (n, 3),
        }
        for name, shape in expected.items():
            t = getattr(self, name)
            if not isinstance(t, Tensor) or tuple(t.shape) != shape:
                got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
                raise InputError(f"Gaussians.{name} must have shape {list(shape)}, got {got}")
        if self.shN is not None:
            if (
                not isinstance(self.shN, Tensor)
                or self.shN.ndim != 3
                or self.shN.shape[0] != n
                or self.shN.shape[2] != 3
                or int(self.shN.shape[1]) not in _SH_BANDS
            ):
                got = tuple(self.shN.shape) if isinstance(self.shN, Tensor) else type(self.shN).__name__
                raise InputError(f"Gaussians.shN must have shape [N, K, 3] with K in (3, 8, 15), got {got}")
        for name, t in self.tensors().items():
            if t.dtype != torch.float32:
                raise InputError(f"Gaussians.{name} must be float32, got {t.dtype}")
            if t.device != self.means.device:
                raise InputError(f"Gaussians.{name} is on {t.device} but means are on {self.means.device}")
            if t.numel() and not torch.isfinite(t).all():
                bad = int((~torch.isfinite(t)).reshape(t.shape[0], -1).any(dim=1).sum())
                raise InputError(f"Gaussians.{name} contains NaN or Inf in {bad} of {n} splats")
        if n and (self.quats.norm(dim=-1) < 1e-8).any():
            raise InputError("Gaussians.quats contains zero-length quaternions")
        return self

    # ------------------------------------------------------------------ operations
    def _map(self, fn) -> "Gaussians":
        return Gaussians(**{k: fn(v) for k, v in self.tensors().items()})

    def to(self, device: str | torch.device) -> "Gaussians":
        """A copy on ``device``."""
        return self._map(lambda t: t.to(device))

    def clone(self) -> "Gaussians":
        """A deep copy."""
        return self._map(lambda t: t.clone())

    def detach(self) -> "Gaussians":
        return self._map(lambda t: t.detach())

    def select(self, mask: Tensor) -> "Gaussians":
        """Keep the splats chosen by a boolean mask ``[N]`` or an index tensor ``[M]``."""
        mask = torch.as_tensor(mask, device=self.device)
        if mask.dtype == torch.bool and mask.shape != (self.num_splats,):
            raise InputError(f"selection mask must have shape [{self.num_splats}], got {tuple(mask.shape)}")
        return self._map(lambda t: t[mask])

    @staticmethod
    def concat(items: Iterable["Gaussians"]) -> "Gaussians":
        """Concatenate sets; SH bands are padded with zeros up to the highest degree present."""
        items = [g for g in items if g is not None]
        if not items:
            return Gaussians.empty()
        k = max((g.shN.shape[1] if g.shN is not None else 0) for g in items)
        device = items[0].device

        def padded(g: Gaussians) -> Tensor | None:
            if k == 0:
                return None
            cur = g.shN if g.shN is not None else torch.zeros(g.num_splats, 0, 3, device=device)
            if cur.shape[1] < k:
                cur = torch.cat([cur, torch.zeros(g.num_splats, k - cur.shape[1], 3, device=device)], dim=1)
            return cur

        shn = [padded(g) for g in items]
        return Gaussians(
            means=torch.cat([g.means.to(device) for g in items]),
            quats=torch.cat([g.quats.to(device) for g in items]),
            log_scales=torch.cat([g.log_scales.to(device) for g in items]),
            opacity_logits=torch.cat([g.opacity_logits.to(device) for g in items]),
            sh0=torch.cat([g.sh0.to(device) for g in items]),
            shN=torch.cat([s.to(device) for s in shn]) if k else None,
        )

    def transform(self, T: Tensor) -> "Gaussians":
        """Apply a similarity transform (rotation, uniform scale, translation).

        Args:
            T: ``[4, 4]`` matrix mapping this set's frame to the target frame.
        Returns:
            A new set: means mapped, quats rotated, log_scales shifted by ``log(scale)``.
            SH bands above 0 are kept as is (view-dependent colour is not rotated).
        """
        R, s, t = decompose_similarity(T)
        dev, dt = self.device, torch.float32
        R32, t32 = R.to(dev, dt), t.to(dev, dt)
        means = (self.means @ R32.T) * float(s) + t32
        q_r = rotmat_to_quat(R).to(dev, dt)
        quats = quat_multiply(q_r.expand_as(self.quats), self.quats)
        return Gaussians(
            means=means,
            quats=quats,
            log_scales=self.log_scales + math.log(s),
            opacity_logits=self.opacity_logits.clone(),
            sh0=self.sh0.clone(),
            shN=None if self.shN is None else self.shN.clone(),
        )

    def bounds(self) -> tuple[Tensor, Tensor]:
        """Axis-aligned bounds of the centres: ``(min [3], max [3])``."""
        if self.num_splats == 0:
            z = torch.zeros(3, device=self.device)
            return z, z
        return self.means.min(dim=0).values, self.means.max(dim=0).values

    def equal(self, other: "Gaussians") -> bool:
        """True when every field is bit-identical."""
        a, b = self.tensors(), other.tensors()
        return a.keys() == b.keys() and all(torch.equal(a[k].cpu(), b[k].cpu()) for k in a)
