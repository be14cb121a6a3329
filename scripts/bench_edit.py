"""Benchmark: select-and-delete in a box on a 2M-splat world (target: under 100 ms on 2 CPU cores).

    .venv/bin/python scripts/bench_edit.py [--splats 2000000] [--repeats 5] [--threads 2] [--sh-degree 0]

Reports the median of ``--repeats`` runs for: the box selection, the delete (through a History,
so its undo data is kept), the undo, and a baseline measured in the same run: one full clone of
the splats (the memory-bandwidth floor of any edit that rewrites the arrays). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from marble import edit as E
from marble import selection as S
from marble.gaussians import Gaussians
from marble.history import History
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


def _ms(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
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
    deleted = 0
    for _ in range(args.repeats):
        t, _g = _ms(lambda: world.layer("scan").gaussians.clone())
        rows["clone_baseline"].append(t)
        hist = History()
        t_sel, sel = _ms(lambda: S.select_box(world, lo, hi))
        t_del, _op = _ms(lambda: hist.apply(world, E.Delete(sel)))
        deleted = S.selection_count(sel)
        t_undo, _ = _ms(lambda: hist.undo(world))
        assert world.layer("scan").num_splats == args.splats
        rows["select"].append(t_sel)
        rows["delete"].append(t_del)
        rows["select_and_delete"].append(t_sel + t_del)
        rows["undo"].append(t_undo)
    med = {k: round(statistics.median(v), 1) for k, v in rows.items()}
    result = {
        "splats": args.splats, "deleted": deleted, "threads": args.threads, "sh_degree": args.sh_degree,
        "median_ms": med,
        "select_and_delete_vs_clone": round(med["select_and_delete"] / med["clone_baseline"], 2),
        "target_ms": 100.0, "meets_target": med["select_and_delete"] < 100.0,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
