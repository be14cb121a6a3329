"""The World: named layers of splats and meshes, an environment, cameras and provenance.

A layer stores its data in its own local frame plus ``transform`` (``T_world_layer``, a similarity
transform), so moving an object moves its splats and mesh together without touching their data.
``World.save`` writes a ``.marble`` bundle: a zip holding ``world.json`` (structure, environment,
cameras, provenance, layout) and ``tensors.safetensors`` (every array), with no pickle anywhere.
Saving then loading gives a world equal bit for bit.
"""

from __future__ import annotations

import copy
import platform
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
import trimesh
from torch import Tensor

from marble.camera import Camera
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.layout import Layout, Lighting

BUNDLE_FORMAT = "marble-world"
BUNDLE_VERSION = 1
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
"""Timestamp of every entry in a ``.marble`` zip (the earliest a zip can hold), so saves are reproducible."""
MAX_BUNDLE_MEMBER_BYTES = 8 << 30  # refuse zip members that claim more than 8 GiB


@dataclass
class Layer:
    """A named part of the world.

    Attributes:
        name: unique name ("tree_3", "ground", "sky").
        label: semantic label / category ("tree").
        gaussians: splats in the layer's local frame, or ``None``.
        mesh: a ``trimesh.Trimesh`` in the local frame (vertex colours or a UV texture), or ``None``.
        transform: ``[4, 4]`` float64 ``T_world_layer``.
        visible: hidden layers are skipped by rendering and export.
        meta: JSON-serialisable extras (material, source object, ...).
    """

    name: str
    label: str = ""
    gaussians: Gaussians | None = None
    mesh: trimesh.Trimesh | None = None
    transform: Tensor = field(default_factory=lambda: torch.eye(4, dtype=torch.float64))
    visible: bool = True
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.transform = torch.as_tensor(self.transform, dtype=torch.float64).clone()
        if not self.label:
            self.label = self.name

    @property
    def num_splats(self) -> int:
        return 0 if self.gaussians is None else self.gaussians.num_splats

    @property
    def is_environment(self) -> bool:
        """A far environment layer (the sky dome): flagged ``meta["environment"]`` or labelled ``"sky"``.

        Such layers are left out of scene extents (they would swamp the scene) and of camera framing.
        """
        return bool(self.meta.get("environment")) or self.label.lower() == "sky"

    @property
    def num_triangles(self) -> int:
        return 0 if self.mesh is None else int(len(self.mesh.faces))

    def world_gaussians(self) -> Gaussians | None:
        """Splats in world coordinates (``transform`` applied), or ``None``."""
        if self.gaussians is None:
            return None
        if torch.equal(self.transform, torch.eye(4, dtype=torch.float64)):
            return self.gaussians
        return self.gaussians.transform(self.transform)

    def world_mesh(self) -> trimesh.Trimesh | None:
        """A copy of the mesh in world coordinates, or ``None``."""
        if self.mesh is None:
            return None
        m = self.mesh.copy()
        if not torch.equal(self.transform, torch.eye(4, dtype=torch.float64)):
            m.apply_transform(self.transform.numpy())
        return m


@dataclass
class Environment:
    """What surrounds the layers: a sky (gradient or equirectangular panorama) and the lights.

    Attributes:
        kind: ``"gradient"`` or ``"panorama"``.
        panorama: ``[H, 2H, 3]`` uint8 equirectangular sky, when ``kind == "panorama"``.
        lighting: sun, ambient, fog and sky gradient colours.
        ground_color: colour of the ground below the horizon for viewers that draw one.
    """

    kind: str = "gradient"
    panorama: np.ndarray | None = None
    lighting: Lighting = field(default_factory=Lighting)
    ground_color: tuple[float, float, float] = (0.35, 0.33, 0.3)

    def sky_color(self, directions: np.ndarray) -> np.ndarray:
        """Sky colour for unit world directions ``[..., 3]`` -> ``[..., 3]`` float32 in [0, 1]."""
        d = np.asarray(directions, dtype=np.float32)
        if self.kind == "panorama" and self.panorama is not None:
            h, w = self.panorama.shape[:2]
            lon = np.arctan2(d[..., 0], d[..., 2])
            lat = np.arcsin(np.clip(d[..., 1], -1, 1))
            u = ((lon / (2 * np.pi) + 0.5) * w).astype(np.int64) % w
            v = np.clip(((0.5 - lat / np.pi) * h).astype(np.int64), 0, h - 1)
            return self.panorama[v, u].astype(np.float32) / 255.0
        lt = self.lighting
        top, hor = np.array(lt.sky_top, np.float32), np.array(lt.sky_horizon, np.float32)
        t = np.clip(d[..., 1:2], 0, 1) ** 0.6
        sky = hor * (1 - t) + top * t
        below = np.array(self.ground_color, np.float32) * 0.6 + hor * 0.4
        sky = np.where(d[..., 1:2] < 0, below, sky)
        # sun glow
        s = np.asarray(lt.sun_direction, np.float32)
        s = s / max(np.linalg.norm(s), 1e-6)
        glow = np.clip((d @ s), 0, 1)[..., None] ** 64 * 0.8 * lt.sun_intensity
        return np.clip(sky + glow * np.array(lt.sun_color, np.float32), 0, 1).astype(np.float32)


@dataclass
class Provenance:
    """Where a world came from: inputs, settings, which component ran each stage, versions, timings."""

    prompt: str | None = None
    seed: int | None = None
    preset: str | None = None
    inputs: dict = field(default_factory=dict)
    stages: dict = field(default_factory=dict)  # stage -> backend, e.g. {"depth": "geometric"}
    versions: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)  # stage -> seconds (this run; not saved in the bundle)
    metrics: dict = field(default_factory=dict)  # e.g. {"fusion_psnr_db": 29.1}
    report: dict = field(default_factory=dict)  # what the prompt asked for: built / approximated / not built

    @classmethod
    def collect_versions(cls) -> dict:
        """Versions of Python and of the packages that shape the output."""
        out = {"python": platform.python_version()}
        for pkg in ("marble-worlds", "torch", "numpy", "trimesh", "open3d", "gsplat", "diffusers", "transformers"):
            try:
                out[pkg] = metadata.version(pkg)
            except metadata.PackageNotFoundError:
                pass
        return out


class World:
    """Named layers + environment + cameras + provenance (+ the layout it was built from)."""

    def __init__(
        self,
        layers: list[Layer] | None = None,
        *,
        environment: Environment | None = None,
        cameras: list[Camera] | None = None,
        provenance: Provenance | None = None,
        layout: Layout | None = None,
    ) -> None:
        self._layers: dict[str, Layer] = {}
        for layer in layers or []:
            self.add_layer(layer)
        self.environment = environment or Environment()
        self.cameras: list[Camera] = list(cameras or [])
        self.provenance = provenance or Provenance()
        self.layout = layout
        # Free-form state that later stages keep with the world (e.g. the editor's history):
        # ``extras`` must be JSON-serialisable, ``extra_tensors`` maps names to tensors.
        self.extras: dict[str, Any] = {}
        self.extra_tensors: dict[str, Tensor] = {}

    # ------------------------------------------------------------------ layers
    @property
    def layers(self) -> list[Layer]:
        """Layers in insertion order."""
        return list(self._layers.values())

    @property
    def layer_names(self) -> list[str]:
        return list(self._layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __contains__(self, name: str) -> bool:
        return name in self._layers

    def layer(self, name: str) -> Layer:
        """The layer called ``name``.

        Raises:
            InputError: no such layer (the message lists the names there are).
        """
        try:
            return self._layers[name]
        except KeyError:
            raise InputError(f"no layer named {name!r}; layers are: {', '.join(self._layers) or '(none)'}") from None

    def add_layer(self, layer: Layer | str, **kwargs) -> Layer:
        """Add a layer (a ``Layer`` or a name plus ``Layer`` keyword arguments); names must be unique."""
        if isinstance(layer, str):
            layer = Layer(layer, **kwargs)
        if layer.name in self._layers:
            raise InputError(f"a layer named {layer.name!r} already exists")
        if layer.gaussians is not None:
            layer.gaussians.validate()
        self._layers[layer.name] = layer
        return layer

    def remove_layer(self, name: str) -> Layer:
        """Remove and return the layer called ``name``."""
        self.layer(name)
        return self._layers.pop(name)

    def rename_layer(self, old: str, new: str) -> None:
        """Rename a layer, keeping its position in the order."""
        layer = self.layer(old)
        if new != old and new in self._layers:
            raise InputError(f"a layer named {new!r} already exists")
        layer.name = new
        self._layers = {(new if k == old else k): v for k, v in self._layers.items()}

    def unique_name(self, base: str) -> str:
        """``base`` or ``base_2``, ``base_3``... whichever is free."""
        if base not in self._layers:
            return base
        i = 2
        while f"{base}_{i}" in self._layers:
            i += 1
        return f"{base}_{i}"

    def layers_with_label(self, label: str) -> list[Layer]:
        return [layer for layer in self.layers if layer.label == label]

    # ------------------------------------------------------------------ aggregates
    def gaussians(self, *, visible_only: bool = True, layers: list[str] | None = None) -> Gaussians:
        """All splats in world coordinates, concatenated in layer order."""
        chosen = self._choose(layers, visible_only)
        parts = [layer.world_gaussians() for layer in chosen if layer.gaussians is not None]
        return Gaussians.concat(parts)

    def meshes(self, *, visible_only: bool = True, layers: list[str] | None = None) -> dict[str, trimesh.Trimesh]:
        """Layer name -> mesh in world coordinates."""
        return {
            layer.name: layer.world_mesh() for layer in self._choose(layers, visible_only) if layer.mesh is not None
        }

    def _choose(self, names: list[str] | None, visible_only: bool) -> list[Layer]:
        chosen = [self.layer(n) for n in names] if names is not None else self.layers
        return [layer for layer in chosen if layer.visible or not visible_only]

    @property
    def num_splats(self) -> int:
        return sum(layer.num_splats for layer in self.layers)

    @property
    def num_triangles(self) -> int:
        return sum(layer.num_triangles for layer in self.layers)

    def bounds(self, *, visible_only: bool = True, include_environment: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """World-space axis-aligned bounds ``(min [3], max [3])`` of splat centres and mesh vertices.

        Args:
            visible_only: skip hidden layers.
            include_environment: count environment layers (the far sky dome, see :attr:`Layer.is_environment`).
        """
        lo, hi = [], []
        for layer in self._choose(None, visible_only):
            if not include_environment and layer.is_environment:
                continue
            g = layer.world_gaussians()
            if g is not None and g.num_splats:
                a, b = g.bounds()
                lo.append(a.cpu().numpy())
                hi.append(b.cpu().numpy())
            if layer.mesh is not None and len(layer.mesh.vertices):
                m = layer.world_mesh()
                lo.append(m.bounds[0])
                hi.append(m.bounds[1])
        if not lo:
            return np.zeros(3), np.zeros(3)
        return np.min(lo, axis=0), np.max(hi, axis=0)

    def stats(self) -> dict:
        """Counts and size for display: layers, splats, triangles, extent in metres (sky dome left out)."""
        lo, hi = self.bounds(include_environment=False)
        return {
            "layers": len(self._layers),
            "splats": self.num_splats,
            "triangles": self.num_triangles,
            "size_m": [round(float(x), 3) for x in (hi - lo)],
        }

    def copy(self) -> "World":
        """A deep copy (tensors cloned, meshes copied)."""
        return copy.deepcopy(self)

    def to(self, device: str | torch.device) -> "World":
        """Move every layer's splats to ``device`` (in place); returns ``self``."""
        for layer in self.layers:
            if layer.gaussians is not None:
                layer.gaussians = layer.gaussians.to(device)
        return self

    # ------------------------------------------------------------------ export
    def export(self, path: str | Path, **options) -> list[Path]:
        """Write the world to ``path`` in the format chosen by its extension (see :func:`marble.api.export`)."""
        from marble import (
            api,  # lazy: the exporters are above the core; the API is their one door
        )

        return api.export(self, path, **options)

    # ------------------------------------------------------------------ bundle I/O
    def save(self, path: str | Path) -> Path:
        """Write a ``.marble`` bundle atomically (see :mod:`marble.bundle`); returns the path."""
        from marble.bundle import save_bundle

        return save_bundle(self, path)

    @classmethod
    def load(cls, path: str | Path) -> "World":
        """Read a ``.marble`` bundle written by :meth:`save` (see :func:`marble.bundle.load_bundle`).

        Raises:
            InputError: the file does not exist.
            FormatError: the file is not a Marble bundle, is truncated, inconsistent, or over the limits.
        """
        from marble.bundle import load_bundle

        return load_bundle(path)

    # ------------------------------------------------------------------ comparison
    def equal(self, other: "World") -> bool:
        """True when layers (data, transforms, flags), environment and cameras are bit-identical."""
        from marble.bundle import meshes_equal

        if self.layer_names != other.layer_names:
            return False
        for a, b in zip(self.layers, other.layers):
            if (a.label, a.visible, a.meta) != (b.label, b.visible, b.meta):
                return False
            if not torch.equal(a.transform, b.transform):
                return False
            if (a.gaussians is None) != (b.gaussians is None) or (a.gaussians is not None and not a.gaussians.equal(b.gaussians)):
                return False
            if (a.mesh is None) != (b.mesh is None) or (a.mesh is not None and not meshes_equal(a.mesh, b.mesh)):
                return False
        ea, eb = self.environment, other.environment
        if ea.kind != eb.kind or asdict(ea.lighting) != asdict(eb.lighting) or tuple(ea.ground_color) != tuple(eb.ground_color):
            return False
        if (ea.panorama is None) != (eb.panorama is None) or (ea.panorama is not None and not np.array_equal(ea.panorama, eb.panorama)):
            return False
        if [c.to_dict() for c in self.cameras] != [c.to_dict() for c in other.cameras]:
            return False
        return True

    def __repr__(self) -> str:
        return f"World(layers={len(self._layers)}, splats={self.num_splats}, triangles={self.num_triangles})"
