"""Environment geometry: outdoor terrain heightfield (+ water), indoor floor, walls and ceiling."""

from __future__ import annotations

import math

import numpy as np
import trimesh

from marble.layout import Layout
from marble.vocab import MATERIALS
import pipelines.procedural.rules as rules
from pipelines.procedural.builder import MeshBuilder
from pipelines.procedural.noise import fbm2
from pipelines.procedural.types import Part, SceneGeometry
from pipelines.procedural.zones import (
    CLEAR_RADIUS_OUTDOOR,
    WALK_HALF_WIDTH,
    room_openings,
    shore_z,
)

# archetype -> (noise amplitude in metres, feature size in metres)
_RELIEF = {"desert": (1.4, 14.0), "snowy_mountains": (1.1, 10.0), "beach": (0.35, 9.0), "city_street": (0.0, 10.0),
           "forest": (0.7, 9.0), "park": (0.35, 12.0), "village": (0.5, 12.0), "campsite": (0.6, 8.0)}
WATER_LEVEL = -0.08  # beach sea level (m)


def _color(material: str, color) -> tuple[float, float, float]:
    return tuple(float(c) for c in (color if color is not None else MATERIALS[material].color))


def grid_resolution(detail: int) -> int:
    """Vertices per side of the terrain grid: 64 at detail 0, 128 at detail 1, 256 at detail 2."""
    return int(64 * 2 ** min(max(int(detail), 0), 3))


def terrain_height(layout: Layout, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Terrain height ``[N]`` at world points ``x [N]``, ``z [N]`` (0 under objects and at the centre).

    Gentle seeded fBm noise faded to exactly 0 within half a metre of every ground object's
    footprint, the clear centre and the walk path, so objects stand flat at y = 0.
    """
    env = layout.environment
    x = np.asarray(x, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    amp, feat = _RELIEF.get(env.archetype, (0.5, 10.0))
    p = np.stack([x / feat, z / feat], 1).astype(np.float32)
    n = (fbm2(p, octaves=4, seed=layout.seed * 31 + 5).astype(np.float64) - 0.5) * 2.0
    # distance to things that need flat ground
    dist = np.hypot(x, z) - CLEAR_RADIUS_OUTDOOR
    L = 0.6 * env.extent
    path = np.hypot(np.maximum(np.abs(x) - L, 0.0), np.maximum(np.abs(z) - WALK_HALF_WIDTH, 0.0))
    dist = np.minimum(dist, path)
    if env.archetype in rules.STREET_ARCHETYPES:
        dist = np.minimum(dist, np.abs(z) - rules.SIDEWALK_OUTER - 16.0)
    for o in layout.objects:
        if o.parent is not None:
            continue
        r = math.hypot(o.size[0], o.size[2]) / 2
        if o.label in rules.BACKDROP:
            r *= 0.8
        dist = np.minimum(dist, np.hypot(x - o.position[0], z - o.position[2]) - r)
    t = np.clip((dist - 0.5) / 4.0, 0.0, 1.0)
    mask = t * t * (3 - 2 * t)
    h = amp * n * mask
    if env.archetype == "beach":
        s = shore_z(env)
        h = np.where(z > s - 1.5, h * np.clip((s + 1.0 - z) / 2.5, 0, 1) - 0.09 * (z - (s - 1.5)), h)
    return h


ROAD_MARK_HALF_WIDTH = 0.12
"""Half width of the dashed centre line of a street (metres)."""
ROAD_DASH_PERIOD = 4.0
"""A street's centre line is painted for the first half of every period (metres along x)."""


def ground_geometry(layout: Layout, *, detail: int = 1) -> list[SceneGeometry]:
    """The environment's layers: outdoor ``ground`` (+ ``water`` on beaches); indoor ``floor``,
    ``walls`` (with a doorway and a glazed window) and ``ceiling``."""
    if layout.environment.indoor:
        return _room(layout, detail)
    return _terrain(layout, detail)


PATH_HALF_WIDTH = 0.85
"""Half width of the dirt path across parks, campsites and villages (metres)."""


def aligned_axis(lo: float, hi: float, n: int, must=()) -> np.ndarray:
    """Grid coordinates from ``lo`` to ``hi``: ``n`` evenly spaced ones, except that every value in
    ``must`` is one of them.

    The even line nearest a required value moves onto it when it is within half a step (and not
    already taken), else the value is inserted, so rows stay between half and one and a half steps
    apart and no sliver rows appear.

    Returns:
        ``[M]`` sorted float64, ``M >= n``.
    """
    even = np.linspace(lo, hi, n)
    step = (hi - lo) / max(n - 1, 1)
    v = even.copy()
    taken = np.zeros(n, bool)
    taken[[0, -1]] = True  # the ends stay where they are
    extra = []
    for m in sorted({float(x) for x in must if lo < x < hi}):
        k = int(np.argmin(np.abs(even - m)))
        if not taken[k] and abs(even[k] - m) <= step / 2:
            v[k], taken[k] = m, True
        else:
            extra.append(m)
    return np.unique(np.concatenate([v, np.asarray(extra, np.float64)]))


def _path_offset(layout: Layout, x: np.ndarray) -> np.ndarray:
    """Centre line of the dirt path: ``z = 0.35 sin(0.35 x + seed % 7)``."""
    return 0.35 * np.sin(x * 0.35 + layout.seed % 7)


def _terrain(layout: Layout, detail: int) -> list[SceneGeometry]:
    env = layout.environment
    E = env.extent
    n = grid_resolution(detail)
    street = env.archetype in rules.STREET_ARCHETYPES
    path = not street and env.archetype in ("park", "campsite", "village") and env.ground_material != "snow"
    # Material zones are per face, so the grid has rows and columns on every zone boundary: a zone
    # edge that cut through grid cells made sawtooth edges (each cell's two triangles fell on
    # different sides). The path's rows follow its wavy centre line (v is the offset across it).
    dash = ROAD_DASH_PERIOD / 2
    xs = aligned_axis(-E, E, n, np.arange(-np.floor(E / dash), np.floor(E / dash) + 1) * dash if street else ())
    v_must = ((-rules.ROAD_HALF_WIDTH, -ROAD_MARK_HALF_WIDTH, ROAD_MARK_HALF_WIDTH, rules.ROAD_HALF_WIDTH) if street
              else (-PATH_HALF_WIDTH, PATH_HALF_WIDTH) if path else ())
    vs = aligned_axis(-E, E, n, v_must)
    X, V = np.meshgrid(xs, vs, indexing="xy")
    x, v = X.ravel(), V.ravel()
    z = v
    if path:  # bend the rows near the path onto it; straight again towards the edge of the terrain
        bend = np.clip((E - np.abs(v)) / max(E - 2.0, 1e-6), 0.0, 1.0)
        z = v + _path_offset(layout, x) * bend
    y = terrain_height(layout, x, z)
    verts = np.stack([x, y, z], 1)
    nx, nz = len(xs), len(vs)
    i, j = np.meshgrid(np.arange(nx - 1), np.arange(nz - 1), indexing="xy")
    a = (j * nx + i).ravel()
    b, c, d = a + 1, a + nx, a + nx + 1
    # counter-clockwise seen from above (+Y normals)
    faces = np.concatenate([np.stack([a, c, b], 1), np.stack([b, c, d], 1)])
    parts = [Part(env.ground_material, _color(env.ground_material, env.ground_color), "ground")]
    fp = np.zeros(len(faces), dtype=np.int32)
    cx = x[faces].mean(1)  # face centres in grid coordinates (x, v): exact zone tests
    cv = v[faces].mean(1)
    if street:
        parts.append(Part("concrete", MATERIALS["concrete"].color, "sidewalk"))
        parts.append(Part("concrete", (0.92, 0.9, 0.75), "road_marking"))
        fp[np.abs(cv) > rules.ROAD_HALF_WIDTH] = 1
        fp[(np.abs(cv) < ROAD_MARK_HALF_WIDTH) & (np.mod(cx, ROAD_DASH_PERIOD) < dash)] = 2
    elif path:
        parts.append(Part("dirt", (0.55, 0.47, 0.36), "path"))
        fp[np.abs(cv) < PATH_HALF_WIDTH] = 1
    mesh = trimesh.Trimesh(vertices=verts, faces=faces, process=False, validate=False)
    out = [SceneGeometry("ground", "ground", mesh, fp, parts, np.eye(4))]
    if open_sea(layout) is not None:
        out.append(sea_geometry(layout, detail=detail))
    return out


def _room(layout: Layout, detail: int) -> list[SceneGeometry]:
    env = layout.environment
    W, H, D = env.room_size
    t = 0.12  # wall thickness, outside the interior
    wall_col = _color(env.wall_material, env.wall_color)
    out = []

    fb = MeshBuilder(detail=detail)
    fpart = fb.part("floor", env.ground_material, _color(env.ground_material, env.ground_color))
    fb.box(fpart, (W + 2 * t, 0.1, D + 2 * t), (0.0, -0.05, 0.0))
    m, fp, parts = fb.build()
    out.append(SceneGeometry("floor", "floor", m, fp, parts, np.eye(4)))

    wb = MeshBuilder(detail=detail)
    wall = wb.part("wall", env.wall_material, wall_col)
    glass = wb.part("window", "glass", MATERIALS["glass"].color)
    frame = wb.part("frame", "wood", (0.93, 0.92, 0.9))
    base = wb.part("baseboard", "wood", (0.9, 0.89, 0.86))
    op = room_openings(env)
    # -Z wall (solid)
    wb.box(wall, (W + 2 * t, H, t), (0.0, H / 2, -D / 2 - t / 2))
    # +X wall (solid)
    wb.box(wall, (t, H, D), (W / 2 + t / 2, H / 2, 0.0))
    # +Z wall with the doorway
    door_x, door_w, door_h = op["door"]
    x0, x1 = door_x - door_w / 2, door_x + door_w / 2
    zc = D / 2 + t / 2
    wb.box(wall, (x0 + W / 2 + t, H, t), ((x0 - W / 2 - t) / 2, H / 2, zc))
    wb.box(wall, (W / 2 + t - x1, H, t), ((x1 + W / 2 + t) / 2, H / 2, zc))
    wb.box(wall, (door_w, H - door_h, t), (door_x, (H + door_h) / 2, zc))
    for xx in (x0 - 0.03, x1 + 0.03):
        wb.box(frame, (0.06, door_h + 0.06, t + 0.04), (xx, (door_h + 0.06) / 2, zc))
    wb.box(frame, (door_w + 0.12, 0.06, t + 0.04), (door_x, door_h + 0.03, zc))
    # -X wall with the window
    wz, ww, sill, top = op["window"]
    z0, z1 = wz - ww / 2, wz + ww / 2
    xc = -W / 2 - t / 2
    wb.box(wall, (t, H, z0 + D / 2), (xc, H / 2, (z0 - D / 2) / 2))
    wb.box(wall, (t, H, D / 2 - z1), (xc, H / 2, (z1 + D / 2) / 2))
    wb.box(wall, (t, sill, ww), (xc, sill / 2, wz))
    wb.box(wall, (t, H - top, ww), (xc, (H + top) / 2, wz))
    wb.box(glass, (0.02, top - sill, ww), (xc, (sill + top) / 2, wz))
    for zz in (z0, z1, wz):
        wb.box(frame, (t + 0.04, top - sill, 0.05), (xc, (sill + top) / 2, zz))
    for yy in (sill, top, (sill + top) / 2):
        wb.box(frame, (t + 0.04, 0.05, ww + 0.05), (xc, yy, wz))
    # baseboards along the solid walls
    bh, bt = 0.08, 0.015
    wb.box(base, (W, bh, bt), (0.0, bh / 2, -D / 2 + bt / 2))
    wb.box(base, (bt, bh, D), (W / 2 - bt / 2, bh / 2, 0.0))
    m, fp, parts = wb.build()
    out.append(SceneGeometry("walls", "walls", m, fp, parts, np.eye(4)))

    cb = MeshBuilder(detail=detail)
    ceil = cb.part("ceiling", "plaster", (0.95, 0.94, 0.92))
    light = cb.part("light", "glass", (1.0, 0.95, 0.82))
    cb.box(ceil, (W + 2 * t, 0.1, D + 2 * t), (0.0, H + 0.05, 0.0))
    cb.frustum(light, 0.22, 0.12, 0.06, (0.0, H - 0.06, 0.0))
    m, fp, parts = cb.build()
    out.append(SceneGeometry("ceiling", "ceiling", m, fp, parts, np.eye(4)))
    return out


# ----------------------------------------------------------------------------- far field
# archetype -> (height of the distant hills in metres, their feature size in metres, what stands on them)
_FAR = {"forest": (14.0, 70.0, "pines"), "snowy_mountains": (30.0, 90.0, "pines"), "beach": (10.0, 60.0, "palms"),
        "desert": (9.0, 55.0, "none"), "city_street": (0.0, 80.0, "blocks"), "park": (8.0, 70.0, "oaks"),
        "village": (10.0, 80.0, "oaks"), "campsite": (14.0, 60.0, "pines")}
FAR_FIELD_LAYER = "far_field"
"""Name (and label) of the far-field layer: terrain from the extent to the horizon, with what stands on it."""
FAR_OVERLAP = 0.5
"""The far field starts this far inside the extent, just under the ground, so the two never part."""
FAR_SINK = 0.3
"""How far under the ground the inner edge of the overlapping strip of the far field lies, metres
(it rises to meet the ground at the extent; less, and its coarser grid poked through the ground)."""


FAR_FIELD_RADIUS = 2500.0
"""Half size of the far field, metres: far enough that the strip between its edge and the true
horizon is under a tenth of a pixel from eye height (1.6 m / 2.5 km = 0.04 degrees)."""


def far_field_radius(layout: Layout) -> float:
    """Half size of the far field, metres (:data:`FAR_FIELD_RADIUS`, or 100 extents if larger)."""
    return max(100.0 * float(layout.environment.extent), FAR_FIELD_RADIUS)


def far_things_radius(layout: Layout) -> float:
    """How far out tree lines and city blocks stand, metres: 12 extents, at least 240 m."""
    return max(12.0 * float(layout.environment.extent), 240.0)


def open_sea(layout: Layout) -> tuple[float, float, tuple[float, float, float]] | None:
    """``(z of the water's near edge, water level, colour)`` where the sea runs on to the horizon on the +Z side.

    A beach's shore, or the near edge of a ``sea`` object (harbours, islands, coasts: the placer
    puts it on the far side, +Z); ``None`` without open water. Beyond the extent the far field
    sinks under it there and :func:`sea_geometry` carries the water on to the far field's edge.
    """
    env = layout.environment
    if env.indoor:
        return None
    if env.archetype == "beach":
        return shore_z(env), WATER_LEVEL, tuple(MATERIALS["water"].color)
    seas = [o for o in layout.objects if o.parent is None and o.label == "sea"]
    if not seas:
        return None
    o = min(seas, key=lambda o: o.position[2] - o.size[2] / 2)
    color = tuple(o.color) if o.color is not None else tuple(MATERIALS["water"].color)
    return float(o.position[2] - o.size[2] / 2), float(o.position[1] + o.size[1]) - 0.005, color


def _far_axis(E: float, R: float, detail: int) -> np.ndarray:
    """Grid coordinates over ``[-R, R]``: 2 m apart inside the extent, growing by ~10% a step outside."""
    step = 2.0 / (1 + int(detail))
    inner = np.arange(-(E - FAR_OVERLAP), E - FAR_OVERLAP + 1e-9, step)
    out = [E - FAR_OVERLAP, E]
    while out[-1] < R:
        out.append(min(R, out[-1] + max(step, (0.06 + 0.02 / (1 + detail)) * out[-1] * (1.0 + out[-1] / 400.0))))
    pos = np.asarray(out[1:])
    return np.unique(np.concatenate([-pos[::-1], inner, pos]))


def far_field_height(layout: Layout, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Height ``[N]`` of the far field at ``x [N], z [N]``: the terrain, rising into distant hills.

    At the extent it is :func:`terrain_height` (a hair lower where it lies under the ground); the
    hills grow in over the next ~3 extents. On a beach the sea side stays under water; a city stays flat.
    """
    env = layout.environment
    E = float(env.extent)
    x = np.asarray(x, np.float64)
    z = np.asarray(z, np.float64)
    base = terrain_height(layout, x, z)
    out_d = np.maximum(np.abs(x), np.abs(z)) - E  # distance beyond the extent (square)
    base = base - FAR_SINK * np.clip(-out_d / FAR_OVERLAP, 0.0, 1.0)
    amp, feat, _ = _FAR.get(env.archetype, (8.0, 70.0, "none"))
    p = np.stack([x / feat, z / feat], 1).astype(np.float32)
    n = fbm2(p, octaves=4, seed=layout.seed * 17 + 3).astype(np.float64)
    t = np.clip(out_d / (3.0 * E), 0.0, 1.0)
    ramp = t * t * (3 - 2 * t)
    hills = amp * ramp * (0.35 + n)
    sea = open_sea(layout)
    if sea is not None:
        s, level, _ = sea
        land = np.clip((s - 8.0 - z) / 30.0, 0.0, 1.0)
        hills = hills * land
        under = np.minimum(base, level - 0.4 - 0.01 * np.maximum(z - s, 0.0))
        # the beach's own ground meets the water at the shore; elsewhere only beyond the extent
        base = np.where((z > s) & ((env.archetype == "beach") | (out_d > 0)), under, base)
    return base + hills


def _far_things(layout: Layout, b: MeshBuilder, R: float, kind: str) -> None:
    """Tree lines or city blocks on the far field (seeded, outside the extent)."""
    env = layout.environment
    E = float(env.extent)
    rng = np.random.default_rng([int(layout.seed), 0xFA2])
    if kind == "blocks":
        walls = [b.part("far_building", m, MATERIALS[m].color) for m in ("concrete", "brick", "plaster")]
        glass = b.part("far_windows", "glass", (0.35, 0.42, 0.5))
        clear = rules.ROAD_HALF_WIDTH + 3.0
        for _ in range(int(90 * min(R / 240.0, 2.0))):
            x = rng.uniform(-R * 0.8, R * 0.8)
            z = rng.uniform(-R * 0.8, R * 0.8)
            w, d, h = rng.uniform(10, 24), rng.uniform(10, 24), rng.uniform(8, 48)
            if abs(z) - d / 2 < clear or max(abs(x) - w / 2, abs(z) - d / 2) < E + 6.0:
                continue
            y0 = float(far_field_height(layout, np.array([x]), np.array([z]))[0]) - 0.5
            b.box(walls[int(rng.integers(0, 3))], (w, h, d), (x, y0 + h / 2, z))
            b.box(glass, (w * 1.005, h * 0.7, d * 0.6), (x, y0 + h * 0.5, z))
        return
    if kind == "none":
        return
    leaves = b.part("far_trees", "leaves", MATERIALS["leaves"].color if "leaves" in MATERIALS else (0.2, 0.35, 0.15))
    if kind == "pines":
        leaves = b.part("far_pines", "leaves", (0.13, 0.27, 0.14) if env.ground_material != "snow" else (0.16, 0.27, 0.2))
    count = int(260 * min(R / 240.0, 2.0))
    r = E + 12.0 + (R * 0.35 - E) * rng.random(count) ** 1.6
    a = rng.uniform(0, 2 * np.pi, count)
    xs, zs = r * np.sin(a), r * np.cos(a)
    sea = open_sea(layout)
    if sea is not None:
        keep = zs < sea[0] - 10.0
        xs, zs = xs[keep], zs[keep]
    ys = far_field_height(layout, xs, zs)
    for x, y, z in zip(xs, ys, zs):
        h = float(rng.uniform(7, 16))
        if kind == "pines":
            b.frustum(leaves, h * 0.22, 0.0, h, (float(x), float(y) - 0.3, float(z)), sections=6)
        else:
            rad = h * 0.35
            b.ellipsoid(leaves, (rad, rad * 0.8, rad), (float(x), float(y) + rad * 0.6, float(z)), subdivisions=1)


def far_field_geometry(layout: Layout, *, detail: int = 1) -> list[SceneGeometry]:
    """The world beyond the extent, out to :func:`far_field_radius`: one ``far_field`` layer.

    Terrain that continues the ground (same material, its edge tucked under the ground's) and
    rises into hills, with the archetype's far things on it: tree lines (cones or crowns), city
    blocks, dunes; on a beach the sea runs on to the horizon (see :func:`sea_geometry`). Indoor
    layouts have none. Coarse on purpose: it is seen from tens to hundreds of metres away.
    """
    env = layout.environment
    if env.indoor:
        return []
    E = float(env.extent)
    R = far_field_radius(layout)
    ax = _far_axis(E, R, detail)
    X, Z = np.meshgrid(ax, ax, indexing="xy")
    x, z = X.ravel(), Z.ravel()
    y = far_field_height(layout, x, z)
    n = len(ax)
    i, j = np.meshgrid(np.arange(n - 1), np.arange(n - 1), indexing="xy")
    a = (j * n + i).ravel()
    cx = 0.5 * (ax[i.ravel()] + ax[i.ravel() + 1])
    cz = 0.5 * (ax[j.ravel()] + ax[j.ravel() + 1])
    ring = np.maximum(np.abs(cx), np.abs(cz)) > E - FAR_OVERLAP
    a = a[ring]
    faces = np.concatenate([np.stack([a, a + n, a + 1], 1), np.stack([a + 1, a + n, a + n + 1], 1)])
    b = MeshBuilder(detail=detail)
    ground = b.part("far_ground", env.ground_material, _color(env.ground_material, env.ground_color))
    b.add(np.stack([x, y, z], 1), faces, ground)
    _far_things(layout, b, far_things_radius(layout), _FAR.get(env.archetype, (0, 0, "none"))[2])
    mesh, fp, parts = b.build()
    return [SceneGeometry(FAR_FIELD_LAYER, FAR_FIELD_LAYER, mesh, fp, parts, np.eye(4))]


def sea_geometry(layout: Layout, *, detail: int = 1) -> SceneGeometry:
    """The ``water`` layer of :func:`open_sea`: a flat sea from just inside its near edge out to the
    far field's edge (under a ``sea`` object's own surface by a hair, so that one shows where both are)."""
    env = layout.environment
    E = float(env.extent)
    R = far_field_radius(layout)
    s, level, color = open_sea(layout)
    s -= 2.0
    m = max(8, grid_resolution(detail) // 4)
    inner = np.linspace(-E, E, m)
    grow = [E]
    while grow[-1] < R:
        grow.append(min(R, grow[-1] * 1.25))
    xs = np.unique(np.concatenate([-np.asarray(grow[::-1]), inner, np.asarray(grow)]))
    zs = np.unique(np.concatenate([np.linspace(s, E, max(4, m // 2)), np.asarray(grow)]))
    WX, WZ = np.meshgrid(xs, zs, indexing="xy")
    wv = np.stack([WX.ravel(), np.full(WX.size, level), WZ.ravel()], 1)
    nx = len(xs)
    i, j = np.meshgrid(np.arange(nx - 1), np.arange(len(zs) - 1), indexing="xy")
    a = (j * nx + i).ravel()
    wf = np.concatenate([np.stack([a, a + nx, a + 1], 1), np.stack([a + 1, a + nx, a + nx + 1], 1)])
    wm = trimesh.Trimesh(vertices=wv, faces=wf, process=False, validate=False)
    return SceneGeometry("water", "water", wm, np.zeros(len(wf), dtype=np.int32),
                         [Part("water", color, "water")], np.eye(4))
