"""Benchmark: select-and-delete in a box on a 2M-splat world (target: under 100 ms on 2 CPU cores).

    .venv/bin/python scripts/bench_edit.py [--splats 2000000] [--repeats 5] [--threads 2] [--sh-degree 0]

Reports the median of ``--repeats`` runs for: the box selection, the delete (through a History,
so its undo data is kept), the undo, and a baseline measured in the same run: one full clone of
the splats (the memory-bandwidth floor of any edit that rewrites the arrays). Prints JSON with
wall-clock medians and the process CPU time (all threads), which a loaded machine inflates less.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from marble import edit as E
from marble.edit import selection as S
from marble.edit.history import History
from marble.gaussians import Gaussians
from marble.world import Layer, World


def make_world(n: int, *, sh_degree: int, seed: int = 0) -> World:
    """One layer of ``n`` random splats in a 20 m cube (seeded)."""
    g = torch.Generator().manual_seed(seed)
    k = (sh_degree + 1) ** 2 - 1
    gs = Gaussians(
        means=(torch.rand(n, 3, generator=g) - 0.5) * 20,
        quats=torch.nn.functional.normalize(torch.randn(n, 4, generator=g), dim=1),
        log_scales=torch.full((n, 3), -4.0),
        opacity_logits=torch.zeros(n),
        sh0=torch.rand(n, 3, generator=g),
        shN=torch.zeros(n, k, 3) if k else None,
    )
    return World([Layer("scan", gaussians=gs)])


CPU_MS: dict[int, float] = {}


def _ms(fn) -> tuple[float, object]:
    """Wall milliseconds of ``fn()`` (and its process CPU milliseconds, kept in ``CPU_MS[id(fn)]``)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    CPU_MS[id(fn)] = (time.process_time() - c0) * 1000
    return (time.perf_counter() - t0) * 1000, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splats", type=int, default=2_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sh-degree", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    world = make_world(args.splats, sh_degree=args.sh_degree)
    lo, hi = (-5.0, -5.0, -5.0), (5.0, 5.0, 5.0)  # 1/8 of the cube: ~250k splats at 2M
    rows = {"clone_baseline": [], "select": [], "delete": [], "select_and_delete": [], "undo": []}
    cpu = {"clone_baseline": [], "select_and_delete": []}
    deleted = 0
    for _ in range(args.repeats):
        f_clone = lambda: world.layer("scan").gaussians.clone()  # noqa: E731
        t, _g = _ms(f_clone)
        rows["clone_baseline"].append(t)
        cpu["clone_baseline"].append(CPU_MS[id(f_clone)])
        hist = History()
        f_sel = lambda: S.select_box(world, lo, hi)  # noqa: E731
        t_sel, sel = _ms(f_sel)
        f_del = lambda: hist.apply(world, E.Delete(sel))  # noqa: E731
        t_del, _op = _ms(f_del)
        cpu["select_and_delete"].append(CPU_MS[id(f_sel)] + CPU_MS[id(f_del)])
        deleted = S.selection_count(sel)
        t_undo, _ = _ms(lambda: hist.undo(world))
        assert world.layer("scan").num_splats == args.splats
        rows["select"].append(t_sel)
        rows["delete"].append(t_del)
        rows["select_and_delete"].append(t_sel + t_del)
        rows["undo"].append(t_undo)
    med = {k: round(statistics.median(v), 1) for k, v in rows.items()}
    med_cpu = {k: round(statistics.median(v), 1) for k, v in cpu.items()}
    result = {
        "splats": args.splats, "deleted": deleted, "threads": args.threads, "sh_degree": args.sh_degree,
        "median_ms": med,
        "median_process_cpu_ms": med_cpu,  # CPU time over all threads: less sensitive to other processes' load
        "select_and_delete_vs_clone": round(med["select_and_delete"] / med["clone_baseline"], 2),
        "target_ms": 100.0, "meets_target": med["select_and_delete"] < 100.0,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
