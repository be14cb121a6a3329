"""Benchmark multi-view rendering and fusion (issue 2). Prints one JSON document.

    .venv/bin/python scripts/bench_fusion.py [--preset standard] [--scenes forest,village,living_room]
                                             [--psnr-views 3] [--json bench_fusion.json]

For each scene (a procedural layout of that archetype, seed 0) it measures, each against a
baseline run in the same process:

* views: seconds per view of the full painter (albedo, sun + shadow rays, fog, edge anti-aliasing)
  versus casting the primary rays only (``render_vs_raycast``);
* fusion: seconds for ``fuse_views`` on all rig views, splats produced, pixels merged, and the
  ratio to a naive lift that makes one isotropic splat per pixel with no merging
  (``fusion_vs_naive_lift`` time, ``splat_reduction`` count);
* fidelity: PSNR of the fused splats re-rendered at ``--psnr-views`` source cameras (spread over the
  rig) with ``marble.render``, versus the naive per-pixel isotropic splats at the same cameras
  (``psnr_gain_db``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _naive_lift(views):
    """Baseline: one isotropic splat per pixel, sized by its footprint, no merging, no orientation."""
    import torch

    from marble.gaussians import Gaussians

    pts, cols, sizes = [], [], []
    for v in views:
        ok = np.isfinite(v.depth)
        pts.append(v.camera.unproject(v.depth)[ok])
        cols.append(v.rgb[ok])
        sizes.append(0.5 * v.depth[ok] / v.camera.fx)
    return Gaussians.from_points(torch.from_numpy(np.concatenate(pts).astype(np.float32)),
                                 torch.from_numpy(np.concatenate(cols)), scales=torch.from_numpy(np.concatenate(sizes)),
                                 opacity=0.97)


def bench_scene(archetype: str, preset, psnr_views: int) -> dict:
    from marble.layout import SceneSpec
    from marble.vocab import ARCHETYPES
    from marble.color import psnr
    from pipelines.fusion import fuse_views, rerender
    from pipelines.procedural import build_scene_geometry, synthesize_layout
    from pipelines.views import LayoutRenderer, camera_rig, environment_for

    spec = SceneSpec(prompt=f"a {archetype}", archetype=archetype, indoor=ARCHETYPES[archetype].indoor)
    layout = synthesize_layout(spec, seed=0, preset=preset)
    geometry = build_scene_geometry(layout, detail=preset.mesh_subdivisions)
    t0 = time.perf_counter()
    cams = camera_rig(layout, preset=preset, seed=0)
    rig_s = time.perf_counter() - t0
    renderer = LayoutRenderer(geometry, layout, seed=0)
    renderer.render(cams[0])  # warm caches
    t0 = time.perf_counter()
    views = [renderer.render(c) for c in cams]
    view_s = (time.perf_counter() - t0) / len(cams)
    t0 = time.perf_counter()
    for c in cams:
        renderer._cast(c.position.numpy().astype(np.float32), c.ray_directions_flat())
    cast_s = (time.perf_counter() - t0) / len(cams)

    env = environment_for(layout)
    t0 = time.perf_counter()
    fused = fuse_views(views, preset=preset, seed=0, environment=env)
    fuse_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive = _naive_lift(views)
    naive_s = time.perf_counter() - t0

    out = {
        "archetype": archetype,
        "views": len(views),
        "view_size": [preset.view_width, preset.view_height],
        "rig_s": round(rig_s, 4),
        "render_s_per_view": round(view_s, 4),
        "raycast_s_per_view": round(cast_s, 4),
        "render_vs_raycast": round(view_s / cast_s, 2),
        "fusion_s": round(fuse_s, 3),
        "fusion_timings": {k: round(v, 3) for k, v in fused.stats["timings"].items()},
        "naive_lift_s": round(naive_s, 3),
        "fusion_vs_naive_lift": round(fuse_s / naive_s, 2),
        "splats": fused.stats["splats"],
        "sky_splats": fused.stats["sky_splats"],
        "surface_pixels": fused.stats["surface_pixels"],
        "naive_splats": naive.num_splats,
        "splat_reduction": round(naive.num_splats / max(fused.stats["splats"], 1), 2),
        "layers": len(fused.gaussians),
    }
    if psnr_views > 0:
        pick = sorted({int(round(i)) for i in np.linspace(0, len(views) - 1, psnr_views)})
        g = fused.all_gaussians(include_sky=False)
        ours, base = [], []
        t0 = time.perf_counter()
        for i in pick:
            ours.append(psnr(rerender(g, views[i], environment=env), views[i].rgb))
        psnr_s = time.perf_counter() - t0
        for i in pick:
            base.append(psnr(rerender(naive, views[i], environment=env), views[i].rgb))
        out.update({
            "psnr_views": [views[i].camera.name for i in pick],
            "psnr_db": [round(p, 2) for p in ours],
            "psnr_mean_db": round(float(np.mean(ours)), 2),
            "naive_psnr_mean_db": round(float(np.mean(base)), 2),
            "psnr_gain_db": round(float(np.mean(ours) - np.mean(base)), 2),
            "rerender_s_per_view": round(psnr_s / len(pick), 2),
        })
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="standard")
    ap.add_argument("--scenes", default="forest,village,living_room")
    ap.add_argument("--psnr-views", type=int, default=3, help="source views re-rendered for PSNR (0 = skip)")
    ap.add_argument("--json", default=None, help="also write the JSON here")
    args = ap.parse_args(argv)

    import torch

    from marble.presets import get_preset

    torch.set_num_threads(max(1, torch.get_num_threads()))
    preset = get_preset(args.preset)
    results = [bench_scene(a.strip(), preset, args.psnr_views) for a in args.scenes.split(",") if a.strip()]
    doc = {"preset": preset.name, "scenes": results}
    if args.psnr_views > 0:
        doc["psnr_mean_db"] = round(float(np.mean([r["psnr_mean_db"] for r in results])), 2)
        doc["psnr_min_db"] = round(float(min(min(r["psnr_db"]) for r in results)), 2)
    text = json.dumps(doc, indent=1, default=lambda x: None if isinstance(x, float) and math.isnan(x) else x)
    print(text)
    if args.json:
        from marble.io import write_text_atomic

        write_text_atomic(args.json, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
