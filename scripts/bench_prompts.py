"""Prompt faithfulness benchmark: does the world hold what the prompt names, and say what it could not?

For each prompt of a set written the way users write (fantasy, sci-fi, historical, everyday places,
nature, rooms with named furniture, vehicles, animals, people, architecture, landmarks, art styles),
with the things a user would expect to find, it parses the prompt, lays out the world and checks:

- built: the share of expected things present as layers whose name or label carries the word;
- reported: the share of the missing ones that the report names (approximated or not built);
- silent: expected things neither built nor reported (the target is none);
- distinct: prompts meaning different places never give the same layout;
- style pairs: the same prompt in two styles gives different worlds (mean absolute difference of
  their previews, 0..1, and of their layouts' colours).

With ``--render N`` it also generates N worlds at the draft preset and writes a contact sheet of
previews (``--out``, default ``/tmp/marble-bench-prompts``) to look at. ``--timing`` measures draft
and standard generation (wall and CPU, in a fresh process each) for this tree and, with
``--baseline DIR``, for another checkout in the same run.

    python scripts/bench_prompts.py                       # faithfulness numbers (about a minute)
    python scripts/bench_prompts.py --render 40 --styles  # + contact sheet and style differences
    python scripts/bench_prompts.py --timing --baseline /work/main
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (prompt, things a user would expect to see: each item is "word" or "word|synonym|...")
PROMPTS: list[tuple[str, list[str]]] = [
    ("a medieval castle on a hill with a drawbridge and knights guarding the gate", ["castle", "knight", "gate", "drawbridge"]),
    ("an old lighthouse on a rocky cliff above a stormy sea", ["lighthouse", "cliff", "rock"]),
    ("a herd of elephants drinking at a waterhole on the savanna at sunset", ["elephant", "waterhole|lake|pond", "acacia|tree"]),
    ("a cyberpunk street at night with neon signs, rain and a noodle stand", ["neon", "stand|stall", "building"]),
    ("a cozy Victorian living room with a fireplace, a grand piano and a cat sleeping on the rug", ["fireplace", "piano", "cat", "rug"]),
    ("a Japanese zen garden with a koi pond, a stone lantern and cherry blossoms", ["pond", "lantern", "cherry|blossom", "koi|fish"]),
    ("a spaceship bridge with control consoles and a big screen showing stars", ["console", "screen"]),
    ("a busy harbour with fishing boats, a wooden pier, seagulls and stacks of crates", ["boat", "pier", "seagull", "crate"]),
    ("a farm with a red barn, a tractor, cows grazing and a windmill", ["barn", "tractor", "cow", "windmill"]),
    ("an abandoned factory with rusty machines and broken windows", ["factory", "machine"]),
    ("a laundromat at midnight with rows of washing machines and a vending machine", ["washing|washer", "vending"]),
    ("a gothic cathedral interior with pews, stained glass and candles", ["pew", "candle", "cathedral|column|altar"]),
    ("a greek temple with marble columns on a hill overlooking the sea", ["temple", "column"]),
    ("a pirate ship anchored in a turquoise lagoon near a tropical island with palm trees", ["ship", "lagoon|lake|sea", "palm"]),
    ("a waterfall pouring into a jungle pool surrounded by ferns and parrots", ["waterfall", "pool|lake|pond", "fern|plant", "parrot"]),
    ("a stone bridge over a river in autumn with a fisherman", ["bridge", "river", "fisherman|person"]),
    ("a train station platform with a steam train and passengers waiting on benches", ["platform", "train", "passenger|person", "bench"]),
    ("a dark dungeon with torches on the walls, chains and a treasure chest", ["torch", "chest"]),
    ("an underwater coral reef with colorful fish, a sea turtle and a shipwreck", ["coral", "fish", "turtle", "shipwreck|ship"]),
    ("a small bakery with bread on shelves, a counter and a coffee machine", ["bread|food", "shelves|shelf|shelving", "counter", "coffee"]),
    ("a kids bedroom with a bunk bed, toys on the floor and a teddy bear", ["bunk", "toy", "teddy"]),
    ("a snowy mountain village with wooden chalets and a frozen lake", ["chalet|cabin", "lake", "mountain"]),
    ("a desert oasis with camels, palm trees and a tent", ["oasis|lake|pond", "camel", "palm", "tent"]),
    ("the Eiffel Tower at night with people walking in the park", ["eiffel|tower", "people|person", "park|tree|bench"]),
    ("a futuristic city with flying cars and glass skyscrapers", ["car|vehicle", "skyscraper|tower|building"]),
    ("a cozy cafe with small round tables, a barista and a chalkboard menu", ["table", "barista|person", "chalkboard|menu|board"]),
    ("a garage workshop with a vintage motorcycle, tools on the wall and a workbench", ["motorcycle", "tool", "workbench"]),
    ("a hobbit hole in a grassy hill with a round door and a garden", ["hill|hobbit", "garden|flower|bush"]),
    ("a wizard's tower in an enchanted forest with glowing mushrooms", ["tower", "mushroom", "tree|forest", "wizard"]),
    ("a classroom with desks, a blackboard and a globe on the teacher's desk", ["desk", "blackboard", "globe"]),
    ("a low poly island with a volcano and a wooden hut", ["volcano", "hut|shed|cabin", "island|sea|palm"]),
    ("a graveyard at night with crooked tombstones and a dead tree under a full moon", ["tombstone|gravestone", "dead tree|tree"]),
    ("a supermarket aisle with shelves of products and shopping carts", ["shelves|shelf|shelving", "cart"]),
    ("a vineyard in tuscany with rows of grapevines and a stone farmhouse", ["grapevine|vine", "farmhouse|house|barn"]),
    ("an arctic landscape with icebergs, penguins and a polar bear", ["iceberg", "penguin", "bear"]),
    ("a bathroom with a clawfoot tub, a mirror and plants", ["tub|bathtub", "mirror", "plant"]),
    ("a market square in Marrakech with spice stalls, lanterns and a fountain", ["stall", "lantern", "fountain"]),
    ("a playground with swings, a slide and children playing", ["swing|playground", "slide|playground", "child"]),
    ("a swamp with a wooden shack, fireflies and an alligator in the murky water", ["shack|shed", "alligator|crocodile", "firefly|butterfly", "water|pond"]),
    ("a museum hall with a dinosaur skeleton, paintings and visitors", ["dinosaur|skeleton", "painting", "visitor|person"]),
    ("a hot air balloon over a lavender field in provence", ["balloon", "lavender|flower|sunflower"]),
    ("a throne room with a golden throne, red banners and a chandelier", ["throne", "banner", "chandelier"]),
    ("an airport with a plane on the runway and a control tower", ["plane|aircraft", "tower"]),
    ("a knight fighting a dragon in front of a burning village", ["knight", "dragon", "village|house"]),
    ("a rustic cabin by a lake with a canoe and a campfire", ["cabin", "lake", "canoe|boat|gondola", "campfire"]),
    ("a gym with treadmills, weights and mirrors", ["treadmill|gym", "weights|gym", "mirror"]),
]

# Prompts that differ only in style: their worlds must differ visibly.
STYLE_PAIRS: list[tuple[str, str]] = [
    ("a living room", "a cyberpunk living room"),
    ("a living room", "a Victorian living room"),
    ("a village street with houses", "a medieval village street with houses"),
    ("a forest with a cabin", "a low poly forest with a cabin"),
    ("a city street at night", "a cyberpunk city street at night"),
    ("a garden with a pond", "a Japanese garden with a pond"),
]

# Different places: never the same layout.
DIFFERENT_PLACES = ["a laundromat", "a bedroom", "a cathedral", "a library", "a dungeon", "a campsite", "happiness",
                    "asdf qwerty", "a sadness", "a greek temple", "a pirate ship", "a rowboat"]


def _words(options: str) -> list[str]:
    return [w.strip().lower().replace(" ", "_") for w in options.split("|")]


def evaluate(prompt: str, expected: list[str], seed: int = 0) -> dict:
    from marble.text import parse_prompt
    from pipelines.procedural import synthesize_layout

    spec = parse_prompt(prompt)
    layout = synthesize_layout(spec, seed=seed)
    names = [(o.name.lower(), o.label.lower()) for o in layout.objects]
    rep = layout.spec.report or {}
    reported_text = " ".join(json.dumps(e).lower() for k in ("approximated", "not_built") for e in rep.get(k, []))
    scene = spec.archetype
    out = {"prompt": prompt, "scene": scene, "built": [], "reported": [], "silent": []}
    for thing in expected:
        opts = _words(thing)
        present = any(any(w in n or w in lab for n, lab in names) for w in opts) or any(w in scene for w in opts)
        if present:
            out["built"].append(thing)
        elif any(w.replace("_", " ") in reported_text for w in opts):
            out["reported"].append(thing)
        else:
            out["silent"].append(thing)
    out["layers"] = len(layout.objects)
    out["report"] = {k: len(v) for k, v in rep.items()}
    out["layout_digest"] = layout.spec.digest()[:12] + f"-{len(layout.objects)}"
    return out


def _generate(prompt: str, preset: str, out: Path, seed: int = 0):
    import numpy as np

    import marble
    from marble.frontends.outputs import preview_cameras
    from marble.render import render_world

    world = marble.generate(prompt, seed=seed, preset=preset)
    cams = preview_cameras(world, count=2, width=320, height=200)
    imgs = []
    for cam in cams:
        rgb = render_world(world, [cam]).colors[0].clamp(0, 1).numpy()
        imgs.append((rgb * 255 + 0.5).astype(np.uint8))
    return world, imgs


def contact_sheet(items: list, path: Path, cols: int = 5) -> None:
    """Tile ``(title, [H, W, 3] uint8 image)`` pairs into one PNG."""
    from PIL import Image, ImageDraw

    if not items:
        return
    h, w = items[0][1].shape[:2]
    rows = (len(items) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * w, rows * (h + 28)), (20, 20, 22))
    draw = ImageDraw.Draw(sheet)
    for i, (title, img) in enumerate(items):
        x, y = (i % cols) * w, (i // cols) * (h + 28)
        sheet.paste(Image.fromarray(img), (x, y + 28))
        draw.text((x + 4, y + 2), title[:52], fill=(230, 230, 230))
        draw.text((x + 4, y + 14), title[52:104], fill=(230, 230, 230))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def _time_one(tree: Path, prompt: str, preset: str) -> dict:
    """Generation time of one prompt in a fresh process of ``tree`` (wall and process CPU), model warm on disk."""
    code = ("import time, resource, marble;"
            "t=time.perf_counter(); c=time.process_time();"
            f"w=marble.generate({prompt!r}, seed=0, preset={preset!r});"
            "print(round(time.perf_counter()-t,3), round(time.process_time()-c,3), w.num_splats)")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=str(tree))
    if r.returncode != 0:
        return {"error": r.stderr.strip().splitlines()[-1:]}
    wall, cpu, splats = r.stdout.strip().splitlines()[-1].split()
    return {"wall_s": float(wall), "cpu_s": float(cpu), "splats": int(splats)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--render", type=int, default=0, help="generate this many prompts (draft) for a contact sheet")
    ap.add_argument("--styles", action="store_true", help="generate the style pairs and measure how much they differ")
    ap.add_argument("--timing", action="store_true", help="time draft and standard generation")
    ap.add_argument("--baseline", type=Path, default=None, help="another checkout to time in the same run")
    ap.add_argument("--out", type=Path, default=Path("/tmp/marble-bench-prompts"))
    ap.add_argument("--json", type=Path, default=None, help="write the results here as JSON")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = [evaluate(p, e) for p, e in PROMPTS]
    n_exp = sum(len(e) for _, e in PROMPTS)
    n_built = sum(len(r["built"]) for r in rows)
    n_rep = sum(len(r["reported"]) for r in rows)
    n_silent = sum(len(r["silent"]) for r in rows)
    results: dict = {"prompts": len(rows), "expected": n_exp, "built_share": round(n_built / n_exp, 3),
                     "reported_share_of_missing": round(n_rep / max(1, n_exp - n_built), 3), "silent": n_silent,
                     "rows": rows}
    for r in rows:
        miss = "" if not (r["reported"] or r["silent"]) else f"  reported {r['reported']} silent {r['silent']}"
        print(f"{len(r['built'])}/{len(r['built']) + len(r['reported']) + len(r['silent'])}  {r['scene']:<16} {r['prompt'][:70]}{miss}")
    print(f"\n{len(rows)} prompts, {n_exp} expected things: built {n_built} ({100 * n_built / n_exp:.1f}%), "
          f"missing but reported {n_rep}, silently dropped {n_silent}  ({time.perf_counter() - t0:.1f} s)")
    digests = {p: evaluate(p, [])["layout_digest"] for p in DIFFERENT_PLACES}
    same = len(digests) - len(set(digests.values()))
    results["different_places_identical"] = same
    print(f"different places: {len(digests)} prompts, {same} identical layouts")

    sheet = []
    if args.render:
        for p, _ in PROMPTS[: args.render]:
            t = time.perf_counter()
            _, imgs = _generate(p, "draft", args.out)
            print(f"  rendered {p[:60]} ({time.perf_counter() - t:.1f} s)")
            sheet.append((p, imgs[0]))
        contact_sheet(sheet, args.out / "contact_sheet.png")
        print(f"contact sheet: {args.out / 'contact_sheet.png'}")
    if args.styles:
        import numpy as np

        diffs = []
        pairs_sheet = []
        for a, b in STYLE_PAIRS:
            _, ia = _generate(a, "draft", args.out)
            _, ib = _generate(b, "draft", args.out)
            d = float(np.mean([np.abs(x.astype(np.float32) - y.astype(np.float32)).mean() / 255 for x, y in zip(ia, ib)]))
            diffs.append({"a": a, "b": b, "mean_abs_diff": round(d, 4)})
            pairs_sheet += [(a, ia[0]), (b, ib[0])]
            print(f"  style pair {a!r} vs {b!r}: mean |difference| {d:.3f}")
        contact_sheet(pairs_sheet, args.out / "style_pairs.png", cols=4)
        results["style_pairs"] = diffs
        print(f"style pairs sheet: {args.out / 'style_pairs.png'}")
    if args.timing:
        timing_prompts = ["a cabin in a snowy pine forest at sunset", "a cyberpunk city street at night with neon signs",
                          "a herd of elephants next to a barn on the savanna", "a cozy Victorian living room with a piano",
                          "a pirate ship in a harbour with a lighthouse"]
        trees = [("after", ROOT)] + ([("before", args.baseline)] if args.baseline else [])
        timing = {}
        for name, tree in trees:
            for preset in ("draft", "standard"):
                runs = [_time_one(tree, p, preset) for p in timing_prompts]
                ok = [r for r in runs if "error" not in r]
                timing[f"{name}/{preset}"] = {
                    "mean_wall_s": round(sum(r["wall_s"] for r in ok) / max(1, len(ok)), 2),
                    "max_wall_s": max((r["wall_s"] for r in ok), default=None),
                    "mean_cpu_s": round(sum(r["cpu_s"] for r in ok) / max(1, len(ok)), 2),
                    "errors": [r["error"] for r in runs if "error" in r], "runs": runs}
                print(f"  {name:6s} {preset:8s} wall mean {timing[f'{name}/{preset}']['mean_wall_s']} s "
                      f"(max {timing[f'{name}/{preset}']['max_wall_s']}), cpu mean {timing[f'{name}/{preset}']['mean_cpu_s']} s")
        results["timing"] = timing
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        results["children_cpu_s"] = round(ru.ru_utime + ru.ru_stime, 1)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
