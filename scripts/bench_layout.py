"""Benchmark of the procedural layout stage (pipelines/procedural).

Measures, on one CPU core:

1. ``synthesize_layout`` + ``build_scene_geometry`` (detail 1) per archetype; target: well under
   1 s for an outdoor archetype.
2. ``albedo`` throughput per material, points per second; target: >= 2M points/s.
3. ``bake_vertex_colors`` of a full outdoor scene.

Each timing is also reported as a ratio to a baseline measured in the same run (building one
256x256 terrain-sized heightfield with numpy, and ``np.sin`` over the same points), so numbers
from a busy or slow machine can still be compared. CPU time (``time.process_time``) is used when
``--cpu-time`` is given, which is steadier on a shared machine.

Usage:
    python scripts/bench_layout.py [--repeat 3] [--points 1000000] [--json out.json] [--cpu-time]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from marble.layout import ObjectSpec, SceneSpec  # noqa: E402
from marble.vocab import ARCHETYPES, MATERIALS  # noqa: E402
from pipelines.procedural import (  # noqa: E402
    albedo,
    bake_vertex_colors,
    build_scene_geometry,
    synthesize_layout,
)


def best_of(fn, repeat: int, clock) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = clock()
        fn()
        best = min(best, clock() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--cpu-time", action="store_true", help="measure process CPU time instead of wall time")
    args = ap.parse_args()
    clock = time.process_time if args.cpu_time else time.perf_counter
    results: dict = {"clock": "cpu" if args.cpu_time else "wall", "layout": {}, "albedo": {}}

    # baseline: a plain numpy heightfield of the terrain's size (the cheapest possible "scene")
    def baseline_grid():
        lin = np.linspace(-20, 20, 256)
        X, Z = np.meshgrid(lin, lin)
        return np.sin(X * 0.3) * np.cos(Z * 0.2)

    base_grid = best_of(baseline_grid, args.repeat, clock)
    results["baseline_grid_s"] = base_grid
    print(f"baseline numpy 256x256 heightfield: {base_grid * 1e3:.2f} ms")
    print(f"{'archetype':16s} {'objects':>7s} {'layout ms':>9s} {'geometry ms':>11s} {'triangles':>9s} {'x baseline':>10s}")
    for key, arch in ARCHETYPES.items():
        objects = [ObjectSpec("cabin", source="a cabin")] if key == "forest" else []
        spec = SceneSpec(prompt=key, archetype=key, indoor=arch.indoor, objects=objects)
        t_layout = best_of(lambda: synthesize_layout(spec, seed=1), args.repeat, clock)
        layout = synthesize_layout(spec, seed=1)
        t_geom = best_of(lambda: build_scene_geometry(layout, detail=1), args.repeat, clock)
        tris = sum(len(g.mesh.faces) for g in build_scene_geometry(layout, detail=1))
        total = t_layout + t_geom
        results["layout"][key] = {"objects": len(layout.objects), "layout_s": t_layout, "geometry_s": t_geom,
                                  "triangles": tris, "ratio_to_baseline": total / base_grid}
        print(f"{key:16s} {len(layout.objects):7d} {t_layout * 1e3:9.1f} {t_geom * 1e3:11.1f} {tris:9d} "
              f"{total / base_grid:10.0f}")

    rng = np.random.default_rng(0)
    pts = rng.uniform(-20, 20, (args.points, 3)).astype(np.float32)
    nrm = rng.normal(size=(args.points, 3)).astype(np.float32)
    base_sin = best_of(lambda: np.sin(pts), args.repeat, clock)
    results["baseline_sin_s"] = base_sin
    print(f"\nbaseline np.sin over {args.points:,} x 3: {base_sin * 1e3:.1f} ms")
    print(f"{'material':10s} {'M points/s':>10s} {'x np.sin':>9s}")
    rates = []
    for m in MATERIALS:
        t = best_of(lambda: albedo(m, MATERIALS[m].color, pts, nrm, seed=0), args.repeat, clock)
        rate = args.points / t
        rates.append(rate)
        results["albedo"][m] = {"points_per_s": rate, "ratio_to_sin": t / base_sin}
        print(f"{m:10s} {rate / 1e6:10.2f} {t / base_sin:9.1f}")
    results["albedo_min_points_per_s"] = min(rates)
    print(f"slowest material: {min(rates) / 1e6:.2f} M points/s (target >= 2)")

    spec = SceneSpec(prompt="forest", archetype="forest", indoor=False, objects=[ObjectSpec("cabin", source="a cabin")])
    geoms = build_scene_geometry(synthesize_layout(spec, seed=1), detail=1)
    t_bake = best_of(lambda: [bake_vertex_colors(g, seed=1) for g in geoms], 1, clock)
    results["bake_forest_s"] = t_bake
    print(f"\nbake_vertex_colors, forest scene ({len(geoms)} layers): {t_bake:.2f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
