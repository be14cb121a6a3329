"""A small mesh builder: closed primitives tagged with material parts, fitted to a box.

Every primitive it makes is a closed surface (boxes, frusta, cones, displaced icospheres, beams),
so the concatenated mesh has every edge shared by exactly two faces. Shapes are built in the
object's local frame: +Y up, front towards +Z, origin at the bottom-centre.
"""

from __future__ import annotations

import math

import numpy as np
import trimesh
from scipy.spatial import ConvexHull

from pipelines.procedural.noise import value_noise3
from pipelines.procedural.types import Part


def rot_x(a: float) -> np.ndarray:
    """``[3, 3]`` rotation about +X by ``a`` radians."""
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(a: float) -> np.ndarray:
    """``[3, 3]`` rotation about +Y by ``a`` radians (same sense as ``LayoutObject.yaw``)."""
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_z(a: float) -> np.ndarray:
    """``[3, 3]`` rotation about +Z by ``a`` radians."""
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def _frustum(r0: float, r1: float, h: float, sections: int) -> tuple[np.ndarray, np.ndarray]:
    """Closed frustum along +Y from y=0 (radius r0) to y=h (radius r1); r1=0 gives a cone."""
    n = max(3, int(sections))
    a = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
    ca, sa = np.cos(a), np.sin(a)
    bottom = np.stack([r0 * ca, np.zeros(n), r0 * sa], 1)
    verts = [bottom]
    faces = []
    idx = np.arange(n)
    nxt = (idx + 1) % n
    if r1 > 0:
        top = np.stack([r1 * ca, np.full(n, h), r1 * sa], 1)
        verts.append(top)
        # sides (outward normals: counter-clockwise seen from outside)
        faces.append(np.stack([idx, n + idx, n + nxt], 1))
        faces.append(np.stack([idx, n + nxt, nxt], 1))
        centres = np.array([[0.0, 0.0, 0.0], [0.0, h, 0.0]])
        verts.append(centres)
        cb, ct = 2 * n, 2 * n + 1
        faces.append(np.stack([np.full(n, cb), idx, nxt], 1))
        faces.append(np.stack([np.full(n, ct), n + nxt, n + idx], 1))
    else:
        verts.append(np.array([[0.0, h, 0.0], [0.0, 0.0, 0.0]]))
        apex, cb = n, n + 1
        faces.append(np.stack([idx, np.full(n, apex), nxt], 1))
        faces.append(np.stack([np.full(n, cb), idx, nxt], 1))
    return np.concatenate(verts), np.concatenate(faces).astype(np.int64)


_UNIT_BOX = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
_BOX_V = np.asarray(_UNIT_BOX.vertices, dtype=np.float64)
_BOX_F = np.asarray(_UNIT_BOX.faces, dtype=np.int64)


def _hull(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convex hull with outward-facing triangles (scipy Qhull, winding fixed by the facet planes)."""
    h = ConvexHull(points)
    f = np.asarray(h.simplices, dtype=np.int64)
    used, f = np.unique(f, return_inverse=True)
    f = f.reshape(-1, 3)
    v = points[used]
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    n = np.cross(b - a, c - a)
    flip = np.einsum("ij,ij->i", n, h.equations[:, :3]) < 0
    f[flip] = f[flip][:, [0, 2, 1]]
    return v, f


_ICO_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _ico(subdivisions: int) -> tuple[np.ndarray, np.ndarray]:
    if subdivisions not in _ICO_CACHE:
        m = trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)
        _ICO_CACHE[subdivisions] = (np.asarray(m.vertices, dtype=np.float64), np.asarray(m.faces, dtype=np.int64))
    v, f = _ICO_CACHE[subdivisions]
    return v.copy(), f.copy()


class MeshBuilder:
    """Collects closed primitives, each tagged with a :class:`Part`, into one mesh.

    Args:
        detail: 0 (coarse), 1 (default), 2+ (finer tessellation).
    """

    def __init__(self, *, detail: int = 1, low_poly: bool = False) -> None:
        self.detail = max(0, int(detail))
        self.low_poly = bool(low_poly)  # faceted: 5 segments around round things, unsubdivided spheres
        self._verts: list[np.ndarray] = []
        self._faces: list[np.ndarray] = []
        self._fpart: list[np.ndarray] = []
        self._nv = 0
        self.parts: list[Part] = []
        self._part_index: dict[tuple, int] = {}

    # ---------------------------------------------------------------- parts
    def part(self, name: str, material: str, color) -> int:
        """Index of the part (material, colour, name), created on first use."""
        col = tuple(float(min(1.0, max(0.0, c))) for c in color)
        key = (name, material, col)
        if key not in self._part_index:
            self._part_index[key] = len(self.parts)
            self.parts.append(Part(material=material, color=col, name=name))
        return self._part_index[key]

    @property
    def sections(self) -> int:
        """Segments around a round primitive at this detail."""
        return 5 if self.low_poly else 6 + 4 * self.detail

    @property
    def sphere_subdiv(self) -> int:
        """Icosphere subdivisions at this detail."""
        return 0 if self.low_poly else min(4, 1 + self.detail)

    # ---------------------------------------------------------------- primitives
    def add(self, vertices: np.ndarray, faces: np.ndarray, part: int, *, R: np.ndarray | None = None,
            t=(0.0, 0.0, 0.0)) -> None:
        """Add a closed mesh ``vertices [V, 3]``, ``faces [F, 3]``, rotated by ``R`` then moved by ``t``."""
        v = np.asarray(vertices, dtype=np.float64)
        if R is not None:
            v = v @ np.asarray(R, dtype=np.float64).T
        v = v + np.asarray(t, dtype=np.float64)
        f = np.asarray(faces, dtype=np.int64)
        self._verts.append(v)
        self._faces.append(f + self._nv)
        self._fpart.append(np.full(len(f), part, dtype=np.int32))
        self._nv += len(v)

    def box(self, part: int, size, center, *, R: np.ndarray | None = None) -> None:
        """Axis box of ``size (x, y, z)`` centred at ``center``, optionally rotated about its centre."""
        v = _BOX_V * np.maximum(np.asarray(size, dtype=np.float64), 1e-4)
        self.add(v, _BOX_F, part, R=R, t=center)

    def frustum(self, part: int, r0: float, r1: float, height: float, base=(0.0, 0.0, 0.0), *,
                R: np.ndarray | None = None, sections: int | None = None, scale_xz=(1.0, 1.0)) -> None:
        """Closed frustum (cone when ``r1 == 0``) standing on ``base`` along +Y (then rotated by ``R``)."""
        n = min(sections or self.sections, 6) if self.low_poly else (sections or self.sections)
        v, f = _frustum(max(r0, 1e-4), max(r1, 0.0), max(height, 1e-4), n)
        v[:, 0] *= scale_xz[0]
        v[:, 2] *= scale_xz[1]
        self.add(v, f, part, R=R, t=base)

    def lathe(self, part: int, profile, base=(0.0, 0.0, 0.0), *, sections: int | None = None, jag: float = 0.0,
              twist: float = 0.0, R: np.ndarray | None = None) -> None:
        """Closed surface of revolution about +Y from ``profile [(radius, y), ...]`` (y increasing).

        A last radius of 0 closes the top in a point, otherwise with a flat cap; the bottom is always
        capped. ``jag`` pulls every other vertex of a ring inwards by that fraction (star-shaped
        rings: fir branches, ribs); ``twist`` turns successive rings by that many radians.
        """
        prof = [(max(float(r), 0.0), float(y)) for r, y in profile]
        n = max(3, int(sections or self.sections))
        if self.low_poly:
            n = min(n, 6)
        a = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
        star = 1.0 - jag * (np.arange(n) % 2)
        rings = [p for p in prof if p[0] > 1e-9]
        verts, faces = [], []
        for k, (r, y) in enumerate(rings):
            ak = a + twist * k
            verts.append(np.stack([r * star * np.cos(ak), np.full(n, y), r * star * np.sin(ak)], 1))
        idx = np.arange(n)
        nxt = (idx + 1) % n
        for k in range(len(rings) - 1):
            lo, hi = k * n, (k + 1) * n
            faces.append(np.stack([lo + idx, hi + idx, hi + nxt], 1))
            faces.append(np.stack([lo + idx, hi + nxt, lo + nxt], 1))
        nv = len(rings) * n
        top_y = prof[-1][1]
        verts.append(np.array([[0.0, rings[0][1], 0.0], [0.0, top_y, 0.0]]))
        cb, ct = nv, nv + 1
        faces.append(np.stack([np.full(n, cb), idx, nxt], 1))
        last = (len(rings) - 1) * n
        faces.append(np.stack([np.full(n, ct), last + nxt, last + idx], 1))
        self.add(np.concatenate(verts), np.concatenate(faces).astype(np.int64), part, R=R, t=base)

    def cylinder(self, part: int, radius: float, height: float, base=(0.0, 0.0, 0.0), **kw) -> None:
        """Closed cylinder standing on ``base``."""
        self.frustum(part, radius, radius, height, base, **kw)

    def beam(self, part: int, p0, p1, radius: float, *, sections: int | None = None, r1: float | None = None) -> None:
        """Round beam (or tapered frustum) from point ``p0`` to ``p1``."""
        p0, p1 = np.asarray(p0, dtype=np.float64), np.asarray(p1, dtype=np.float64)
        d = p1 - p0
        length = float(np.linalg.norm(d))
        if length < 1e-6:
            return
        R = _align_y(d / length)
        self.frustum(part, radius, radius if r1 is None else r1, length, p0, R=R, sections=sections or max(5, self.sections - 4))

    def ellipsoid(self, part: int, radii, center, *, subdivisions: int | None = None, R: np.ndarray | None = None,
                  bumps: float = 0.0, bump_freq: float = 2.0, seed: int = 0) -> None:
        """Icosphere scaled to ``radii (x, y, z)``; ``bumps`` > 0 displaces it with seeded noise (rocks, crowns)."""
        v, f = _ico(self.sphere_subdiv if subdivisions is None or self.low_poly else subdivisions)
        if bumps > 0:
            n = value_noise3(v * bump_freq + 11.3, seed=seed) - 0.5
            n2 = value_noise3(v * bump_freq * 2.1 + 3.7, seed=seed + 1) - 0.5
            v = v * (1.0 + bumps * (1.4 * n + 0.6 * n2))[:, None]
        v = v * np.asarray(radii, dtype=np.float64)
        self.add(v, f, part, R=R, t=center)

    def hull(self, part: int, points, *, R: np.ndarray | None = None, t=(0.0, 0.0, 0.0)) -> None:
        """Closed convex hull of ``points [P, 3]`` (roof prisms, wedges, car cabins)."""
        v, f = _hull(np.asarray(points, dtype=np.float64))
        self.add(v, f, part, R=R, t=t)

    def roof(self, part: int, width: float, depth: float, height: float, base=(0.0, 0.0, 0.0)) -> None:
        """Gable roof prism: ridge along X at ``height`` above ``base``, eaves at +-depth/2."""
        w, d = width / 2, depth / 2
        pts = [[sx * w, 0.0, sz * d] for sx in (-1, 1) for sz in (-1, 1)] + [[sx * w, height, 0.0] for sx in (-1, 1)]
        self.hull(part, pts, t=base)

    # ---------------------------------------------------------------- result
    @property
    def num_faces(self) -> int:
        return int(sum(len(f) for f in self._faces))

    def build(self, size=None) -> tuple[trimesh.Trimesh, np.ndarray, list[Part]]:
        """Concatenate everything; with ``size (x, y, z)``, scale and move it to fill that box exactly.

        Returns:
            mesh (local frame, bottom-centre at the origin when ``size`` is given), face_part ``[F]``
            int32, parts.
        """
        if not self._verts:
            raise ValueError("MeshBuilder.build called with no primitives")
        v = np.concatenate(self._verts)
        f = np.concatenate(self._faces)
        fp = np.concatenate(self._fpart)
        if size is not None:
            lo, hi = v.min(0), v.max(0)
            ext = np.maximum(hi - lo, 1e-9)
            s = np.asarray(size, dtype=np.float64) / ext
            centre = np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])
            v = (v - centre) * s
        used = np.unique(fp)  # drop parts no primitive used (variants skip some)
        remap = np.full(len(self.parts), -1, dtype=np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        mesh = trimesh.Trimesh(vertices=v, faces=f, process=False, validate=False)
        return mesh, remap[fp], [self.parts[i] for i in used]


def _align_y(d: np.ndarray) -> np.ndarray:
    """``[3, 3]`` rotation taking +Y onto the unit vector ``d``."""
    y = np.array([0.0, 1.0, 0.0])
    c = float(np.dot(y, d))
    if c > 1 - 1e-9:
        return np.eye(3)
    if c < -1 + 1e-9:
        return np.diag([1.0, -1.0, -1.0])
    axis = np.cross(y, d)
    s = float(np.linalg.norm(axis))
    axis = axis / s
    K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + s * K + (1 - c) * (K @ K)
