"""What an exporter receives: the chosen layers in world coordinates, plus the export options.

``ExportScene`` is built once per export from a :class:`~marble.world.World` (layers picked,
hidden ones skipped, transforms applied); a VR profile then prunes and decimates it in place,
and the format module writes it. Splats stay grouped per layer so formats with a node/prim per
layer (GLB, USD) keep the world's structure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import torch
import trimesh

from marble.camera import Camera
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.render.fog import baked_gaussians


@dataclass
class ExportOptions:
    """Per-call options of :func:`exporters.export` (all keyword arguments).

    Attributes:
        profile: ``None`` or a profile name (``"quest3"``, ``"visionpro"``, ``"web"``, ``"desktop"``).
        layers: names of the layers to export (``None``: every visible layer).
        splats: include splats (GLB: as a ``KHR_gaussian_splatting`` point primitive per layer).
        meshes: include meshes.
        bake_textures: bake vertex colours into a UV-atlas texture (xatlas) for GLB/USD meshes;
            ``None`` means "when a profile asks for it".
        texture_size: side of baked textures in pixels (capped by the profile's limit).
        sh_degree: highest SH degree written (``None``: what the world has, up to the format's limit).
        axes: frame of the written splat coordinates (``"rub"`` or ``"rdf"``); ``None`` picks the
            format's convention (see ``exporters.axes``).
        collider: write a low-poly collider GLB next to the output (default: when the profile has one).
        prune: let a profile drop splats / decimate meshes to meet its budget (otherwise a budget
            that is exceeded raises ``BudgetError``).
        seed: seed for any randomised step (splat pruning ties, sampling).
        panorama_size: height of an equirectangular ``.png`` (width is twice it).
        position_bits: fractional bits of SPZ positions (``None``: chosen from the splats' sizes and the
            world's extent, see :func:`exporters.spz.choose_fractional_bits`).
        spz_version: SPZ container version, ``4`` (zstd planes; ``None`` means this default) or ``3``
            (one gzip stream, for readers without version 4 such as Spark 2.2).
    """

    profile: str | None = None
    layers: list[str] | None = None
    splats: bool = True
    meshes: bool = True
    bake_textures: bool | None = None
    texture_size: int = 1024
    sh_degree: int | None = None
    axes: str | None = None
    collider: bool | None = None
    prune: bool = True
    seed: int = 0
    panorama_size: int = 512
    position_bits: int | None = None
    spz_version: int | None = None

    @classmethod
    def from_kwargs(cls, options: dict[str, Any]) -> "ExportOptions":
        """Build from ``**options``; an unknown name raises ``InputError`` listing the valid ones."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise InputError(f"unknown export option(s) {unknown}; valid options: {sorted(names)}")
        opts = cls(**options)
        if opts.layers is not None:
            if isinstance(opts.layers, str):
                opts.layers = [s.strip() for s in opts.layers.split(",") if s.strip()]
            opts.layers = list(opts.layers)
        if opts.sh_degree is not None and opts.sh_degree not in (0, 1, 2, 3):
            raise InputError(f"`sh_degree` must be 0, 1, 2 or 3, got {opts.sh_degree!r}")
        if opts.axes is not None and opts.axes not in ("rub", "rdf"):
            raise InputError(f"`axes` must be 'rub' or 'rdf', got {opts.axes!r}")
        if not (16 <= int(opts.texture_size) <= 8192):
            raise InputError(f"`texture_size` must be in 16..8192, got {opts.texture_size!r}")
        if not (16 <= int(opts.panorama_size) <= 4096):
            raise InputError(f"`panorama_size` must be in 16..4096, got {opts.panorama_size!r}")
        if opts.position_bits is not None and not (0 <= int(opts.position_bits) <= 20):
            raise InputError(f"`position_bits` must be in 0..20, got {opts.position_bits!r}")
        if opts.spz_version is not None and opts.spz_version not in (3, 4):
            raise InputError(f"`spz_version` must be 3 or 4, got {opts.spz_version!r}")
        return opts


@dataclass
class LayerData:
    """One exported layer, in world coordinates.

    Attributes:
        name: the layer's name (GLB node / USD prim name).
        label: its semantic label.
        gaussians: splats (world frame, CPU) or ``None``.
        mesh: mesh (world frame) or ``None``.
    """

    name: str
    label: str
    gaussians: Gaussians | None = None
    mesh: trimesh.Trimesh | None = None


@dataclass
class ExportScene:
    """Layers, environment and cameras of one export, plus what a profile did to it."""

    layers: list[LayerData]
    environment: Any = None
    cameras: list[Camera] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_world(cls, world, options: ExportOptions) -> "ExportScene":
        """Pick the layers of ``world`` named in ``options`` (visible ones) in world coordinates.

        Layers drawn with live fog (``marble.render.fog``) get the fog baked into their colours:
        the viewers these files open in draw none of their own.

        Raises:
            InputError: the world has no layers, a named layer does not exist, or nothing is left.
        """
        if not world.layers:
            raise InputError("the world has no layers: nothing to export (generate or import content first)")
        if options.layers is not None:
            missing = [n for n in options.layers if n not in world]
            if missing:
                raise InputError(f"`layers` names unknown layer(s) {missing}; the world has {world.layer_names}")
            chosen = [world.layer(n) for n in options.layers]
        else:
            chosen = [layer for layer in world.layers if layer.visible]
        out = []
        for layer in chosen:
            g = layer.world_gaussians() if options.splats else None
            if g is not None:
                g = baked_gaussians(layer, g.detach().to("cpu"), world.environment)  # viewers draw no fog
                if g.num_splats == 0:
                    g = None
                else:
                    try:
                        g.validate()
                    except InputError as exc:
                        raise InputError(f"layer {layer.name!r}: {exc}") from exc
            m = layer.world_mesh() if options.meshes else None
            if m is not None and len(m.faces) == 0:
                m = None
            if g is None and m is None:
                continue
            out.append(LayerData(layer.name, layer.label, g, m))
        if not out:
            raise InputError("the chosen layers hold no visible splats or meshes: nothing to export")
        return cls(out, environment=world.environment, cameras=list(world.cameras), meta={"provenance": world.provenance})

    # ------------------------------------------------------------------ aggregates
    @property
    def num_splats(self) -> int:
        return sum(0 if layer.gaussians is None else layer.gaussians.num_splats for layer in self.layers)

    @property
    def num_triangles(self) -> int:
        return sum(0 if layer.mesh is None else len(layer.mesh.faces) for layer in self.layers)

    def gaussians(self) -> Gaussians:
        """All splats concatenated in layer order (SH padded to the highest degree)."""
        return Gaussians.concat([layer.gaussians for layer in self.layers if layer.gaussians is not None])

    def require_splats(self, path) -> Gaussians:
        """All splats, or ``InputError`` naming ``path`` when there are none (splat-only formats)."""
        g = self.gaussians()
        if g.num_splats == 0:
            raise InputError(
                f"{str(path)!r}: this format stores splats but the chosen layers have none "
                "(choose layers with splats, or export meshes to .glb/.usd)"
            )
        return g


def limit_sh(g: Gaussians, degree: int | None, *, max_degree: int = 3) -> np.ndarray | None:
    """SH rest bands as ``[N, K, 3]`` float32, cut to ``degree`` (and ``max_degree``), or ``None``."""
    if g.shN is None:
        return None
    d = g.sh_degree if degree is None else min(degree, g.sh_degree)
    d = min(d, max_degree)
    if d == 0:
        return None
    k = (d + 1) ** 2 - 1
    return g.shN[:, :k, :].detach().cpu().numpy().astype(np.float32)


def to_numpy(g: Gaussians) -> dict[str, np.ndarray]:
    """The splats' tensors as float32 numpy arrays (``quats`` normalised)."""
    q = g.quats / g.quats.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return {
        "means": g.means.detach().cpu().numpy().astype(np.float32),
        "quats": q.detach().cpu().numpy().astype(np.float32),
        "log_scales": g.log_scales.detach().cpu().numpy().astype(np.float32),
        "opacity_logits": g.opacity_logits.detach().cpu().numpy().astype(np.float32),
        "sh0": g.sh0.detach().cpu().numpy().astype(np.float32),
    }


def gaussians_from_numpy(
    means: np.ndarray,  # [N, 3]
    quats: np.ndarray,  # [N, 4] wxyz
    log_scales: np.ndarray,  # [N, 3]
    opacity_logits: np.ndarray,  # [N]
    sh0: np.ndarray,  # [N, 3]
    shN: np.ndarray | None = None,  # [N, K, 3]
) -> Gaussians:
    """Build validated float32 :class:`Gaussians` from numpy arrays (importers use this)."""
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
    g = Gaussians(
        means=t(means), quats=t(quats), log_scales=t(log_scales), opacity_logits=t(opacity_logits),
        sh0=t(sh0), shN=None if shN is None or shN.shape[1] == 0 else t(shN),
    )
    return g
