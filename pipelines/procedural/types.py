"""Data returned by geometry synthesis: meshes split into material parts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh


@dataclass
class Part:
    """One material region of a mesh.

    Attributes:
        material: key of ``marble.vocab.MATERIALS``.
        color: RGB in ``[0, 1]`` that tints the material's pattern.
        name: what the region is ("trunk", "roof", "window"), for editors and exporters.
    """

    material: str
    color: tuple[float, float, float]
    name: str = ""


@dataclass
class SceneGeometry:
    """The procedural mesh of one layer of a layout.

    Attributes:
        name: layer name: ``LayoutObject.name`` or "ground", "water", "floor", "walls", "ceiling".
        label: category label ("pine_tree", "ground", ...).
        mesh: ``trimesh.Trimesh`` in the object's LOCAL frame (origin at its bottom-centre), metres.
        face_part: ``[F]`` int32 index into ``parts`` for each face.
        parts: the material regions.
        T_world_object: ``[4, 4]`` float64 pose (identity for environment layers).
    """

    name: str
    label: str
    mesh: trimesh.Trimesh
    face_part: np.ndarray  # [F] int32
    parts: list[Part]
    T_world_object: np.ndarray = field(default_factory=lambda: np.eye(4))  # [4, 4] float64

    def world_mesh(self) -> trimesh.Trimesh:
        """A copy of ``mesh`` moved into world coordinates (faces in the same order)."""
        m = self.mesh.copy()
        m.apply_transform(self.T_world_object)
        return m
