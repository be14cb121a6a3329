"""Benchmark ``marble batch``: throughput with 1 vs 2 local workers, and Ray's overhead per job.

    .venv/bin/python scripts/bench_batch.py --jobs 16 [--no-ray] [--json bench_batch.json]

Every configuration runs the same draft jobs (PLY only, no previews) into a fresh folder, so each
pays its own worker start-up (imports + the prompt embedder, once per worker). Reported:

- wall seconds and jobs/minute per configuration;
- ``speedup_2_vs_1``: wall(1 worker) / wall(2 workers), near 2.0 is linear scaling;
- ``steady_speedup_2_vs_1``: the ratio of ``steady_jobs_per_min`` (jobs over the time from the first
  job's start to the last job's end), i.e. throughput once the workers have loaded their models;
- ``warm_pool_speedup_vs_cold`` (with ``--cold-baseline``): every job in its own fresh worker
  (models loaded per job) against one worker that loads them once;
- ``ray_overhead_s_per_job``: (wall(Ray, 2 CPUs) - wall(local, 2 workers)) / jobs, with ``ray.init``
  timed separately (it is paid once per driver, not per job).

``mean_job_cpu_s`` (process CPU time per job) shows whether jobs slow each other down beyond
sharing cores; on a machine shared with other work, compare it with ``mean_job_s``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

PROMPTS = [
    "a red barn on a farm", "a lake at dawn", "a desert canyon", "a snowy cabin in a pine forest",
    "a city street at night", "a beach with palm trees", "a cozy living room", "a mountain village",
]


def _jobs(n: int, seed: int):
    from marble.frontends.batch import Job

    return [Job(index=i, line=i + 1, name=f"{i:05d}", prompt=PROMPTS[i % len(PROMPTS)], seed=seed + i,
                preset="draft", formats=("ply",), previews=False) for i in range(n)]


def _run(jobs, out: Path, **kwargs) -> dict:
    """Run the batch into a fresh ``out``; wall time, throughput, and start-up (driver start to first job start)."""
    from marble.frontends.batch import run_batch

    t_begin = time.time()
    t0 = time.perf_counter()
    report = run_batch(jobs, out, progress=False, **kwargs)
    wall = time.perf_counter() - t0
    if not report.ok:
        raise SystemExit(f"benchmark jobs failed: {[r.error for r in report.failed]}")
    job_s = [r.seconds for r in report.results]
    return {"wall_s": round(wall, 2), "jobs_per_min": round(60 * len(jobs) / wall, 2),
            "mean_job_s": round(sum(job_s) / len(job_s), 2), "sum_job_s": round(sum(job_s), 2),
            "mean_job_cpu_s": round(sum(r.cpu_seconds or 0.0 for r in report.results) / len(job_s), 2),
            "startup_s": round(min(r.started for r in report.results) - t_begin, 2),
            # throughput once the workers are up: first job start to last job end
            "steady_jobs_per_min": round(60 * len(jobs) / max(1e-9, max(r.finished for r in report.results)
                                                            - min(r.started for r in report.results)), 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=16, help="draft jobs per configuration (default 16)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-ray", action="store_true", help="skip the Ray configuration")
    ap.add_argument("--cold-baseline", action="store_true",
                    help="also run every job in its own fresh one-worker batch (models loaded per job)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    from marble.frontends.batch.runner import available_cpus

    jobs = _jobs(args.jobs, args.seed)
    results: dict = {"jobs": args.jobs, "cpus": available_cpus(), "preset": "draft"}
    with tempfile.TemporaryDirectory(prefix="marble-bench-batch-") as tmp:
        tmp = Path(tmp)
        for workers in (1, 2):
            r = _run(jobs, tmp / f"local{workers}", workers=workers)
            results[f"local_{workers}"] = r
            print(f"local, {workers} worker(s): {r}", file=sys.stderr)
        l1, l2 = results["local_1"], results["local_2"]
        results["speedup_2_vs_1"] = round(l1["wall_s"] / l2["wall_s"], 3)
        results["steady_speedup_2_vs_1"] = round(l2["steady_jobs_per_min"] / l1["steady_jobs_per_min"], 3)
        if args.cold_baseline:
            t0 = time.perf_counter()
            for job in jobs:
                _run([job], tmp / f"cold{job.index}", workers=1)
            cold = time.perf_counter() - t0
            results["cold_per_job_wall_s"] = round(cold, 2)
            results["warm_pool_speedup_vs_cold"] = round(cold / l1["wall_s"], 3)
            print(f"cold (one fresh worker per job): {cold:.1f} s", file=sys.stderr)
        if not args.no_ray:
            import ray

            t0 = time.perf_counter()
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
            results["ray_init_s"] = round(time.perf_counter() - t0, 2)
            try:
                r = _run(jobs, tmp / "ray", ray="auto")
                results["ray_2"] = r
                print(f"ray, 2 CPUs: {r}", file=sys.stderr)
            finally:
                ray.shutdown()
            results["ray_overhead_s_per_job"] = round((results["ray_2"]["wall_s"] - l2["wall_s"]) / args.jobs, 3)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
