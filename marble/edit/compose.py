"""Compose: bring another world or an imported asset (.marble, .ply, .spz, .glb, .obj...) into a world.

    hist.apply(world, merge(world, other_world, T=T_world_other, prefix="b_"))
    hist.apply(world, import_asset(world, "chair.glb", T=T))
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import trimesh

from marble.edit.history import Operation, register
from marble.edit.state import (
    EYE,
    check_transform,
    layer_nbytes,
    pack_layer,
    unpack_layer,
)
from marble.errors import FormatError, InputError
from marble.limits import limits
from marble.world import Layer, World


@register
class AddLayers(Operation):
    """Add ready-made layers (compose / merge / import); undo removes them."""

    kind = "add_layers"

    def __init__(self, layers: list[Layer], *, label: str = "add layers") -> None:
        names = [x.name for x in layers]
        if len(set(names)) != len(names):
            raise InputError(f"layer names to add must be unique, got {names}")
        if not layers:
            raise InputError("nothing to add: the asset or world has no layers")
        self.layers = list(layers)
        self.label = label

    @property
    def description(self) -> str:
        return f"{self.label} ({', '.join(x.name for x in self.layers[:3])}{' ...' if len(self.layers) > 3 else ''})"

    def apply(self, world: World) -> None:
        clash = [x.name for x in self.layers if x.name in world]
        if clash:
            raise InputError(f"layers {clash} already exist: rename them first")
        for x in self.layers:
            if x.gaussians is not None:
                x.gaussians.validate()
        for x in self.layers:
            world.add_layer(x)

    def undo(self, world: World) -> None:
        for x in self.layers:
            world.remove_layer(x.name)

    def nbytes(self) -> int:
        return sum(layer_nbytes(x) for x in self.layers)

    def to_state(self, tensors: dict, prefix: str) -> dict:
        return {"label": self.label, "layers": [pack_layer(x, tensors, f"{prefix}l{i}/") for i, x in enumerate(self.layers)]}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "AddLayers":
        return cls([unpack_layer(d, tensors, f"{prefix}l{i}/") for i, d in enumerate(doc["layers"])], label=doc["label"])


def merge(world: World, other: World, *, T=None, prefix: str = "") -> AddLayers:
    """An :class:`AddLayers` that brings every layer of ``other`` into ``world`` at transform ``T``.

    Layer names get ``prefix`` and a ``_2``, ``_3``... suffix when taken. ``other`` is not modified.
    """
    T = EYE.clone() if T is None else check_transform(T)
    taken = set(world.layer_names)
    layers = []
    for src in other.layers:
        base = f"{prefix}{src.name}"
        name, i = base, 2
        while name in taken:
            name, i = f"{base}_{i}", i + 1
        taken.add(name)
        layers.append(Layer(
            name, label=src.label, gaussians=None if src.gaussians is None else src.gaussians.clone(),
            mesh=None if src.mesh is None else src.mesh.copy(), transform=T @ src.transform, visible=src.visible,
            meta={**copy.deepcopy(src.meta), "merged_from": src.name},
        ))
    return AddLayers(layers, label="merge")


_MESH_ONLY_SUFFIXES = (".gltf", ".obj", ".stl")
ASSET_SUFFIXES = (".marble", ".ply", ".compressed.ply", ".splat", ".spz", ".glb", ".gltf", ".obj", ".stl")


def load_asset(path: str | Path) -> World:
    """Read a file to compose into a world: a ``.marble`` bundle, a splat or GLB file the project's
    importers read (:func:`marble.api.import_file`: ``.ply``, ``.spz``, ``.splat``, ``.glb``...), or a
    mesh trimesh reads (``.gltf``, ``.obj``, ``.stl``).

    Raises:
        InputError: missing file, unsupported extension, or larger than the import limit.
        FormatError: the file cannot be parsed.
    """
    p = Path(path)
    name = p.name.lower()
    if not any(name.endswith(s) for s in ASSET_SUFFIXES):
        raise InputError(f"cannot import {p.name!r}: supported files are {', '.join(ASSET_SUFFIXES)}")
    if not p.is_file():
        raise InputError(f"asset file {str(p)!r} does not exist")
    size, cap = p.stat().st_size, limits().max_file_bytes
    if size > cap:
        raise InputError(f"{p.name} is {size} bytes, over the import limit of {cap} (MARBLE_MAX_FILE_BYTES)")
    if name.endswith(".marble"):
        return World.load(p)
    if name.endswith(_MESH_ONLY_SUFFIXES):
        return _load_mesh_asset(p)
    from marble import (
        api,  # lazy: the importers are above the core; the API is their one door
    )

    if any(name.endswith(ext) for ext in api.import_formats()):
        result = api.import_file(p)
        if not isinstance(result, World):
            raise FormatError(f"{p.name}: importer returned {type(result).__name__}, expected a World")
        return result
    return _load_mesh_asset(p)


def _load_mesh_asset(p: Path) -> World:
    try:
        scene = trimesh.load(str(p), force="scene")
    except Exception as exc:  # trimesh raises many types for malformed files
        raise FormatError(f"{p.name}: not a readable mesh ({type(exc).__name__}: {exc})") from exc
    world = World()
    stem = p.name.split(".")[0] or "asset"
    for node in scene.graph.nodes_geometry:
        T, geom_name = scene.graph[node]
        geom = scene.geometry[geom_name]
        if not isinstance(geom, trimesh.Trimesh) or len(geom.faces) == 0:
            continue
        mesh = geom.copy()
        mesh.apply_transform(T)  # baked, so the layer transform stays a similarity
        faces = np.asarray(mesh.faces)
        if not np.isfinite(mesh.vertices).all() or (np.abs(mesh.vertices) > 1e9).any():
            raise FormatError(f"{p.name}: mesh {node!r} has vertices that are not finite or out of range")
        if faces.size and (faces.min() < 0 or faces.max() >= len(mesh.vertices)):
            raise FormatError(f"{p.name}: mesh {node!r} has face indices outside its {len(mesh.vertices)} vertices")
        if len(faces) > limits().max_triangles:
            raise FormatError(f"{p.name}: mesh {node!r} has {len(faces)} triangles, over the limit of "
                              f"{limits().max_triangles} (MARBLE_MAX_TRIANGLES)")
        world.add_layer(Layer(world.unique_name(f"{stem}_{node}" if len(scene.geometry) > 1 else stem),
                              label=stem, mesh=mesh, meta={"imported_from": p.name}))
    if not world.layers:
        raise FormatError(f"{p.name}: holds no triangle meshes")
    return world


def import_asset(world: World, path: str | Path, *, T=None) -> AddLayers:
    """An :class:`AddLayers` composing the asset at ``path`` into ``world`` at ``T``."""
    op = merge(world, load_asset(path), T=T)
    op.label = f"import {Path(path).name}"
    return op
