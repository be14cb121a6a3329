"""Benchmark splat export: write time and bytes per splat for every splat format, against .ply.

    .venv/bin/python scripts/bench_export.py                # 1M splats, SH degree 0
    .venv/bin/python scripts/bench_export.py --splats 200000 --sh-degree 3 --repeat 3
    .venv/bin/python scripts/bench_export.py --world out/world.marble   # a generated world's splats

Targets (issue 4, 2 CPU cores): 1M splats ``.ply`` write under 1 s, ``.spz`` write under 3 s.
Times are the best of ``--repeat`` runs of ``exporters.export`` (encode + atomic write + fsync):
wall-clock seconds and CPU seconds of this process (the latter is what to read on a shared,
overloaded machine).
Prints a table and, with ``--json``, one JSON document.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--splats", type=int, default=1_000_000)
    ap.add_argument("--sh-degree", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (the targets assume 2 cores)")
    ap.add_argument("--world", type=str, default=None,
                    help="benchmark the visible splats of this .marble world instead of surface_gaussians")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    from exporters import export
    from exporters.samples import surface_gaussians
    from marble.world import Layer, World

    if args.world:
        g = World.load(args.world).gaussians()
        args.splats = g.num_splats
    else:
        g = surface_gaussians(args.splats, seed=0)
    if args.sh_degree and not args.world:
        k = (args.sh_degree + 1) ** 2 - 1
        g.shN = torch.from_numpy(np.random.default_rng(0).normal(0, 0.05, (args.splats, k, 3)).astype(np.float32))
    world = World([Layer("splats", gaussians=g)])
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        # ".spz" is version 4 (the default); ".spz v3" the gzip container (spz_version=3)
        for key, ext, opts in ((".ply", ".ply", {}), (".spz", ".spz", {}), (".spz v3", ".spz", {"spz_version": 3}),
                               (".compressed.ply", ".compressed.ply", {}), (".splat", ".splat", {}), (".glb", ".glb", {})):
            best, best_cpu = float("inf"), float("inf")
            for _ in range(args.repeat):
                out = Path(tmp) / f"bench{ext}"
                t0, c0 = time.perf_counter(), time.process_time()
                export(world, out, **opts)
                best = min(best, time.perf_counter() - t0)
                best_cpu = min(best_cpu, time.process_time() - c0)
            rows[key] = {"seconds": round(best, 3), "cpu_seconds": round(best_cpu, 3),
                         "bytes_per_splat": round(out.stat().st_size / args.splats, 2)}
    base = rows[".ply"]
    for r in rows.values():
        r["size_vs_ply"] = round(base["bytes_per_splat"] / r["bytes_per_splat"], 2)
        r["time_vs_ply"] = round(r["seconds"] / base["seconds"], 2)
    result = {"splats": args.splats, "sh_degree": args.sh_degree, "threads": args.threads, "formats": rows,
              "targets": {"ply_under_1s_wall": rows[".ply"]["seconds"] < 1.0,
                          "ply_under_1s_cpu": rows[".ply"]["cpu_seconds"] < 1.0,
                          "spz_under_3s_wall": rows[".spz"]["seconds"] < 3.0,
                          "spz_under_3s_cpu": rows[".spz"]["cpu_seconds"] < 3.0}}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.splats:,} splats, SH degree {args.sh_degree}, {args.threads} threads (best of {args.repeat})")
    print(f"{'format':<16}{'write s':>9}{'cpu s':>8}{'x ply time':>12}{'B/splat':>10}{'ply/size':>10}")
    for ext, r in rows.items():
        print(f"{ext:<16}{r['seconds']:>9.3f}{r['cpu_seconds']:>8.3f}{r['time_vs_ply']:>12.2f}{r['bytes_per_splat']:>10.2f}"
              f"{r['size_vs_ply']:>10.2f}")
    print("targets:", result["targets"])


if __name__ == "__main__":
    main()
