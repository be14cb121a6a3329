"""A hand-built scene in the SceneGeometry contract of ``pipelines.procedural``, with known depths, ids and normals."""

from __future__ import annotations

import numpy as np
import trimesh

from marble.layout import Layout, LayoutEnvironment, LayoutObject, Lighting
from pipelines.procedural import albedo
from pipelines.procedural.types import Part, SceneGeometry

ALBEDO = albedo
"""The procedural albedo the views are shaded with."""


def make_scene(*, lighting: Lighting | None = None, indoor: bool = False, ground_half: float = 12.0):
    """Ground plane (top at y=0), a 1 m box centred at (3, 0.5, 1) yawed 0.3 rad, a sphere at (-2, 0.8, -3)."""
    env = LayoutEnvironment(archetype="meadow", indoor=indoor, extent=10.0, lighting=lighting or Lighting(),
                            ground_material="grass", ground_color=(0.3, 0.5, 0.2))
    objs = [
        LayoutObject(name="box_1", label="barrel", position=(3.0, 0.0, 1.0), size=(1.0, 1.0, 1.0), yaw=0.3,
                     material="wood", color=(0.6, 0.3, 0.2)),
        LayoutObject(name="ball_1", label="rock", position=(-2.0, 0.0, -3.0), size=(1.6, 1.6, 1.6),
                     material="stone", color=(0.5, 0.5, 0.55)),
    ]
    layout = Layout(environment=env, objects=objs, seed=0)
    ground = trimesh.creation.box(extents=(2 * ground_half, 0.02, 2 * ground_half))
    ground.apply_translation((0, -0.01, 0))
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    box.apply_translation((0, 0.5, 0))
    ball = trimesh.creation.icosphere(subdivisions=3, radius=0.8)
    ball.apply_translation((0, 0.8, 0))
    geometry = [
        SceneGeometry("ground", "ground", ground, np.zeros(len(ground.faces), np.int32), [Part("grass", (0.3, 0.5, 0.2))]),
        SceneGeometry("box_1", "barrel", box, (np.arange(len(box.faces)) % 2).astype(np.int32),
                      [Part("wood", (0.6, 0.3, 0.2)), Part("wood", (0.5, 0.25, 0.15))], objs[0].T_world_object.numpy()),
        SceneGeometry("ball_1", "rock", ball, np.zeros(len(ball.faces), np.int32), [Part("stone", (0.5, 0.5, 0.55))],
                      objs[1].T_world_object.numpy()),
    ]
    return layout, geometry
