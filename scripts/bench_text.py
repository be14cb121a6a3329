"""Benchmark prompt understanding (``marble.text.parse_prompt``): latency and accuracy.

Reports, in one run:
- cold start in a fresh process: import + first parse, including loading all-MiniLM-L6-v2, with the
  vocabulary-embedding disk cache empty and then filled;
- warm latency per prompt (median, p95): prompts the word lists cover (the model is not called), and
  prompts that need the model, against the lexicon-only parse (``embedder=False``) of the same
  prompts as the baseline (the ratio is the cost of the embeddings);
- accuracy on a small labelled set: archetype, and the object each unseen word should become.

    .venv/bin/python scripts/bench_text.py            # full run
    .venv/bin/python scripts/bench_text.py --quick    # fewer repeats
    .venv/bin/python scripts/bench_text.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Every word listed and the place named: the model is never called.
PROMPTS_LEXICAL = [
    "a cabin in a snowy pine forest at sunset",
    "three red chairs around a wooden table in a cosy living room",
    "a foggy beach at dawn with palm trees and three deck chairs under a red umbrella",
    "a rainy city street at night with cars, street lamps and tall skyscrapers",
    "a bedroom with a double bed, two nightstands and a lamp on each nightstand",
    "a library with wooden bookshelves against the walls",
]
# Unseen words or no place named: the model embeds the leftover words and/or the whole prompt.
PROMPTS_EMBED = [
    "a hatchback parked next to a bungalow by the seashore",
    "a conifer behind a mansion in the rainforest",
    "a desk with a computer and an office chair",
    "two tents around a campfire under the stars",
    "a sailboat and a kayak on the lake",
    "a microwave next to the fridge",
]

# (prompt, expected archetype, expected object categories that must be present)
LABELLED = [
    ("a cabin in a snowy pine forest at sunset", "forest", {"cabin", "pine_tree"}),
    ("a blue sofa and a tv", "living_room", {"sofa", "tv"}),
    ("a double bed with two nightstands", "bedroom", {"bed", "nightstand"}),
    ("a fridge next to a stove", "kitchen", {"fridge", "stove"}),
    ("a desk with a computer", "office", {"desk", "computer"}),
    ("two tents around a campfire", "campsite", {"tent", "campfire"}),
    ("cacti and boulders", "desert", {"cactus", "rock"}),
    ("palm trees and beach umbrellas", "beach", {"palm_tree", "beach_umbrella"}),
    ("houses with fences and a well", "village", {"house", "fence", "well"}),
    ("tall buildings and parked cars", "city_street", {"building", "car"}),
    ("a room full of bookshelves", "library", {"bookshelf"}),
    ("benches and flowers around a pond", "park", {"bench", "flowers", "pond"}),
    ("snowy mountains with a snowman", "snowy_mountains", {"snowman"}),
    ("a hatchback next to a bungalow by the seashore", "beach", {"car", "house"}),
    ("a conifer in the rainforest", "forest", {"pine_tree"}),
    ("a sailboat near the shoreline", "beach", {"boat"}),
    ("a truck in the metropolis", "city_street", {"car"}),
    ("a mansion with a minivan", None, {"house", "car"}),
    ("a microwave and a fridge", "kitchen", {"stove", "fridge"}),
    ("a yacht and a kayak", None, {"boat"}),
]

COLD = """
import json, sys, time
t0 = time.perf_counter()
from marble.text import parse_prompt
t1 = time.perf_counter()
parse_prompt("a hatchback next to a bungalow by the seashore")
t2 = time.perf_counter()
parse_prompt("a conifer behind a mansion")
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_parse_s": t2 - t1, "second_parse_s": t3 - t2}))
"""


def cold_start(cache_dir: str) -> dict:
    env = {"MARBLE_CACHE_DIR": cache_dir, "PATH": "/usr/bin:/bin", "HOME": cache_dir}
    out = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_parses(parse, prompts: list[str], repeats: int, **kw) -> list[float]:
    times = []
    for _ in range(repeats):
        for p in prompts:
            t = time.perf_counter()
            parse(p, **kw)
            times.append(time.perf_counter() - t)
    return times


def summary(times: list[float]) -> dict:
    s = sorted(times)
    return {"median_ms": 1000 * statistics.median(s), "p95_ms": 1000 * s[int(0.95 * (len(s) - 1))],
            "mean_ms": 1000 * statistics.fmean(s), "n": len(s)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    args = ap.parse_args()
    repeats = 2 if args.quick else 5
    results: dict = {}

    with tempfile.TemporaryDirectory() as tmp:
        results["cold_empty_cache"] = cold_start(tmp)
        results["cold_filled_cache"] = cold_start(tmp)

    from marble.text import parse_prompt
    from marble.text.embed import default_embedder

    emb = default_embedder()
    parse_prompt(PROMPTS_EMBED[0], embedder=emb)  # warm up
    results["warm_model_lexical_prompts"] = summary(time_parses(parse_prompt, PROMPTS_LEXICAL, repeats, embedder=emb))
    warm = summary(time_parses(parse_prompt, PROMPTS_EMBED, repeats, embedder=emb))
    lex = summary(time_parses(parse_prompt, PROMPTS_EMBED, repeats, embedder=False))
    results["warm_model_embedding_prompts"] = warm
    results["warm_lexicon_only_embedding_prompts"] = lex
    results["embedding_cost_ratio"] = warm["median_ms"] / max(lex["median_ms"], 1e-9)

    arch_ok = obj_ok = arch_n = 0
    misses = []
    for prompt, arch, cats in LABELLED:
        spec = parse_prompt(prompt, embedder=emb)
        got = {o.category for o in spec.objects if o.count > 0}
        if arch is not None:
            arch_n += 1
            arch_ok += spec.archetype == arch
        obj_ok += cats <= got
        if (arch is not None and spec.archetype != arch) or not cats <= got:
            misses.append({"prompt": prompt, "archetype": spec.archetype, "objects": sorted(got)})
    results["accuracy"] = {"archetype": arch_ok / arch_n, "objects": obj_ok / len(LABELLED), "misses": misses}
    lex_ok = sum(cats <= {o.category for o in parse_prompt(p, embedder=False).objects} for p, _, cats in LABELLED)
    results["accuracy"]["objects_lexicon_only"] = lex_ok / len(LABELLED)

    c0, c1 = results["cold_empty_cache"], results["cold_filled_cache"]
    for label, c in (("empty vocabulary cache", c0), ("filled vocabulary cache", c1)):
        print(f"cold start, {label}: import {c['import_s']:.2f} s, first parse (loads the model) "
              f"{c['first_parse_s']:.2f} s, second parse {1000 * c['second_parse_s']:.0f} ms")
    lexical = results["warm_model_lexical_prompts"]
    print(f"warm parse, prompts the word lists cover: median {lexical['median_ms']:.2f} ms, p95 {lexical['p95_ms']:.2f} ms")
    print(f"warm parse, prompts that need the model: median {warm['median_ms']:.1f} ms, p95 {warm['p95_ms']:.1f} ms "
          f"({warm['n']} parses)")
    print(f"  same prompts, lexicon only (baseline): median {lex['median_ms']:.2f} ms -> embeddings cost "
          f"{results['embedding_cost_ratio']:.0f}x")
    acc = results["accuracy"]
    print(f"accuracy on {len(LABELLED)} labelled prompts: archetype {acc['archetype']:.0%}, objects {acc['objects']:.0%} "
          f"(lexicon only: objects {acc['objects_lexicon_only']:.0%})")
    for m in misses:
        print(f"  miss: {m}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
