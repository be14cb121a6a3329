"""Benchmark the CPU tile rasterizer (and gsplat on CUDA when present).

Scenes are synthetic "worlds": splats on a ground plane, boxes and spheres, seen by a camera
standing in them, with splat sizes chosen so surfaces are covered. Reports seconds per frame,
the speed-up over the dense per-pixel reference and over a per-Gaussian loop (measured on the
same scene with fewer splats/pixels, ratios taken in the same run), and peak memory.

    .venv/bin/python scripts/bench_render.py            # full targets (1M @ 512^2, 100k @ 256^2)
    .venv/bin/python scripts/bench_render.py --quick    # small smoke run
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marble.camera import Camera  # noqa: E402
from marble.gaussians import Gaussians  # noqa: E402


def make_scene(n: int, *, seed: int = 0) -> Gaussians:
    """``n`` splats on a 20 m ground plane, 12 boxes and 6 spheres (deterministic)."""
    g = torch.Generator().manual_seed(seed)
    n_ground = n // 2
    n_obj = n - n_ground
    # ground: y = 0, x,z in [-10, 10]
    gp = torch.rand(n_ground, 3, generator=g) * 20 - 10
    gp[:, 1] = 0.0
    gcol = torch.stack([0.3 + 0.2 * torch.rand(n_ground, generator=g), 0.5 + 0.2 * torch.rand(n_ground, generator=g),
                        0.2 + 0.1 * torch.rand(n_ground, generator=g)], -1)
    # objects: points on unit spheres / box surfaces, scaled and placed
    k = 18
    which = torch.randint(0, k, (n_obj,), generator=g)
    centers = torch.rand(k, 3, generator=g) * torch.tensor([14.0, 0.0, 14.0]) - torch.tensor([7.0, 0.0, 7.0])
    sizes = torch.rand(k, generator=g) * 1.5 + 0.5
    centers[:, 1] = sizes
    d = torch.randn(n_obj, 3, generator=g)
    d = d / d.norm(dim=-1, keepdim=True)
    is_box = which < 12
    box_d = d / d.abs().amax(dim=-1, keepdim=True)
    d = torch.where(is_box[:, None], box_d, d)
    op = centers[which] + d * sizes[which, None]
    ocol = torch.rand(k, 3, generator=g)[which] * 0.8 + 0.1 * torch.rand(n_obj, 3, generator=g)
    pts = torch.cat([gp, op])
    cols = torch.cat([gcol, ocol])
    area = 400.0 + float((sizes**2).sum() * 4 * math.pi)
    s = math.sqrt(area / n) * 0.8
    scales = s * (0.5 + torch.rand(n, 3, generator=g))
    quats = torch.randn(n, 4, generator=g)
    opac = 0.5 + 0.5 * torch.rand(n, generator=g)
    return Gaussians.from_points(pts, cols, scales=scales, quats=quats, opacity=opac)


def make_camera(size: int) -> Camera:
    return Camera.look_at((0.0, 2.0, 11.0), (0.0, 0.5, 0.0), width=size, height=size, fov_y_deg=70)


def _time(fn, repeats: int) -> tuple[float, float]:
    """Best wall seconds and best process CPU seconds over ``repeats`` runs (after a warm-up)."""
    fn()  # warm-up
    best, best_cpu = math.inf, math.inf
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best, best_cpu


def measure(n: int, size: int, method: str, repeats: int, threads: int = 0) -> dict:
    """Time one method on one scene in this process; report seconds and the process's peak RSS."""
    if threads:
        torch.set_num_threads(threads)
    from marble.camera import stack_cameras
    from marble.render import render
    from marble.render.reference import render_dense, render_per_gaussian

    G = make_scene(n)
    cam = make_camera(size)
    device = "cuda" if method == "gsplat" else "cpu"
    if device == "cuda":
        G = G.to("cuda")
    vm, K = stack_cameras([cam], device)
    args = (G.means, G.quats, G.scales, G.opacities, G.sh_coeffs(), vm, K, size, size)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with torch.inference_mode():
        if method == "tile":
            fn = lambda: render(G, [cam])  # noqa: E731
        elif method == "gsplat":
            def fn():
                render(G, [cam], backend="gsplat")
                torch.cuda.synchronize()
        elif method == "dense":
            fn = lambda: render_dense(*args)  # noqa: E731
        elif method == "loop":
            fn = lambda: render_per_gaussian(*args)  # noqa: E731
        else:
            raise ValueError(method)
        sec, cpu_sec = _time(fn, repeats)
        cov = float(render(G, [cam], backend="gsplat" if device == "cuda" else "cpu").alphas.mean())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"method": method, "splats": n, "size": size, "sec": sec, "cpu_sec": cpu_sec,
            "threads": torch.get_num_threads(), "peak_rss_mb": rss / 1024,
            "rss_before_mb": rss0 / 1024, "coverage": cov}


def run_isolated(n: int, size: int, method: str, repeats: int, threads: int = 0) -> dict:
    """Run :func:`measure` in a fresh process so peak memory belongs to this measurement."""
    code = (
        "import json,sys; sys.path.insert(0, %r); from scripts.bench_render import measure; "
        "print(json.dumps(measure(%d, %d, %r, %d, %d)))"
        % (str(Path(__file__).resolve().parents[1]), n, size, method, repeats, threads)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small scenes only (smoke test)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = ap.parse_args()
    rows = []
    targets = [(100_000, 256, 0.2), (1_000_000, 512, 2.0)] if not args.quick else [(20_000, 128, None)]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    for n, size, target in targets:
        r = run_isolated(n, size, "tile", args.repeats, args.threads)
        r["target_sec"] = target
        rows.append(r)
        ok = "" if target is None else ("  (target %.2f s: %s)" % (target, "met" if r["sec"] < target else "MISSED"))
        print(f"tile   {n:>9,} splats {size}^2: {r['sec']:.3f} s/frame (CPU time {r['cpu_sec']:.3f} s, "
              f"{r['threads']} threads), peak RSS {r['peak_rss_mb']:.0f} MB, "
              f"coverage {r['coverage']:.2f}{ok}")
        if torch.cuda.is_available():
            gr = run_isolated(n, size, "gsplat", args.repeats)
            rows.append(gr)
            print(f"gsplat {n:>9,} splats {size}^2: {1 / gr['sec']:.0f} fps")
    # speed-ups on a scene the slow baselines can finish
    n_small, size_small = (5_000, 96) if args.quick else (20_000, 128)
    base = run_isolated(n_small, size_small, "tile", args.repeats, args.threads)
    dense = run_isolated(n_small, size_small, "dense", 1, args.threads)
    loop = run_isolated(n_small, size_small, "loop", 1, args.threads)
    rows += [base, dense, loop]
    print(f"on {n_small:,} splats at {size_small}^2: tile {base['sec']:.3f} s, dense reference {dense['sec']:.2f} s "
          f"({dense['sec'] / base['sec']:.0f}x slower), per-Gaussian loop {loop['sec']:.2f} s "
          f"({loop['sec'] / base['sec']:.0f}x slower); CPU-time ratios {dense['cpu_sec'] / base['cpu_sec']:.0f}x "
          f"and {loop['cpu_sec'] / base['cpu_sec']:.0f}x")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
