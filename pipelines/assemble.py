"""Assemble a World from fused splats, source geometry and the layout they came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import trimesh

from marble.camera import Camera
from marble.layout import Layout
from marble.world import Environment, Layer, Provenance, World

SKY_LAYER = "sky"
FAR_FIELD_LABEL = "far_field"
HORIZON_LABELS = (FAR_FIELD_LABEL, "water")
"""Layers that run on to the horizon (the far field, the open sea of ``terrain.sea_geometry``)."""


@dataclass
class AssemblyInputs:
    """What :func:`assemble_world` needs besides the fusion result.

    Attributes:
        geometry: procedural source geometry per layer (``pipelines.procedural.SceneGeometry``), or empty.
        meshes: extra world-frame meshes for layers without source geometry (e.g. TSDF meshes).
        labels: layer name -> semantic label for layers not covered by ``geometry``.
    """

    geometry: list = field(default_factory=list)
    meshes: dict[str, trimesh.Trimesh] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def assemble_world(
    fused_gaussians: dict,
    *,
    sky=None,
    inputs: AssemblyInputs | None = None,
    layout: Layout | None = None,
    environment: Environment | None = None,
    cameras: list[Camera] | None = None,
    provenance: Provenance | None = None,
    seed: int = 0,
    preset=None,
) -> World:
    """Build the World: one layer per object (splats + mesh in the object's local frame), plus the sky.

    Args:
        fused_gaussians: layer name -> ``Gaussians`` in WORLD coordinates (``FusionResult.gaussians``).
        sky: ``Gaussians`` of the sky dome (world frame) or ``None``.
        inputs: source geometry / extra meshes / labels.
        layout: the layout the world was built from (kept for blockout editing).
        environment: sky and lights; defaults to the layout's lighting.
        cameras: the cameras the views were made from.
        provenance: inputs, stage backends, timings.
        seed: seed for baking procedural vertex colours.
        preset: ``Preset`` whose mesh face budgets bound the baked meshes (default: standard).
    """
    from marble.presets import get_preset

    preset = get_preset(preset or "standard")
    inputs = inputs or AssemblyInputs()
    if environment is None:
        environment = Environment(lighting=layout.environment.lighting) if layout is not None else Environment()
    world = World(environment=environment, cameras=cameras or [], provenance=provenance or Provenance(), layout=layout)
    geometry_names = set()
    if inputs.geometry:
        from pipelines.procedural import (
            bake_vertex_colors,  # lazy: layout pulls in noise tables
        )

        for geom in inputs.geometry:
            geometry_names.add(geom.name)
            T = torch.as_tensor(np.asarray(geom.T_world_object), dtype=torch.float64)
            splats = fused_gaussians.get(geom.name)
            if splats is not None and splats.num_splats:
                splats = splats.transform(torch.linalg.inv(T)) if not torch.equal(T, torch.eye(4, dtype=torch.float64)) else splats
            else:
                splats = None
            budget = preset.mesh_faces_environment if _is_environment(geom) else preset.mesh_faces_object
            mesh = bake_vertex_colors(geom, seed=seed, max_faces=budget)
            meta = {"materials": [p.material for p in geom.parts]}
            if geom.label in HORIZON_LABELS:  # reaches the horizon: kept out of scene bounds and framing
                meta["environment"] = True
            world.add_layer(Layer(geom.name, label=geom.label, gaussians=splats, mesh=mesh, transform=T, meta=meta))
    for name, splats in fused_gaussians.items():
        if name in geometry_names or splats is None or splats.num_splats == 0:
            continue
        world.add_layer(
            Layer(name, label=inputs.labels.get(name, name.rsplit("_", 1)[0]), gaussians=splats, mesh=inputs.meshes.get(name))
        )
    for name, mesh in inputs.meshes.items():
        if name not in world:
            world.add_layer(Layer(name, label=inputs.labels.get(name, name), mesh=mesh))
    if sky is not None and sky.num_splats:
        world.add_layer(Layer(world.unique_name(SKY_LAYER), label=SKY_LAYER, gaussians=sky, meta={"environment": True}))
    return world


def _is_environment(geom) -> bool:
    """Ground, floor, walls and ceiling sit at the identity transform and span the whole scene."""
    env = ("ground", "floor", "walls", "ceiling", "water", FAR_FIELD_LABEL)
    return geom.name in env or geom.label in env
