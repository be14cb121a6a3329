"""Benchmark: are generated worlds complete from where a user can go, and how long do they take?

For each prompt (outdoor, street and indoor scenes) it generates the world (wall and process CPU
time, splats, bundle size), then evaluates it at held-out cameras (``pipelines.evaluate``):
random eye-level positions on the walkable ground and aerial views 45 degrees down, against the
procedural ground truth (holes, floaters, PSNR). Photo worlds are lifted from photos rendered from
procedural scenes (so the truth is known) and checked within a head-sized move of the photo's camera.

    python scripts/bench_explore.py                      # standard preset, every scene, JSON at the end
    python scripts/bench_explore.py --preset draft --scenes cabin,street
    python scripts/bench_explore.py --save out/ --frames # keep the worlds and the evaluation frames
    python scripts/bench_explore.py --timing-only        # generation times of draft and standard

Targets (issue 14, standard preset): eye-level holes <= 1% mean and <= 3% worst per world, aerial
<= 2%, eye-level PSNR >= 28 dB mean; photo worlds <= 5% holes within the head-sized move;
generation under 5 s (draft) and 15 s (standard) on 2 cores. The machine may be shared: wall and
CPU seconds are both printed, and a baseline (plain ray casting of one view at the preset's size,
the cost unit of generation) is measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCENES = {
    "cabin": "a cabin in a snowy pine forest at sunset",
    "island": "an island with palm trees and a hut",
    "forest-night": "a forest at night",
    "suburb": "a suburban street with houses and cars",
    "city-night": "a city street with cars at night",
    "farm-fog": "a foggy farm with a barn and fences",
    "living-room": "a cozy living room with a blue velvet sofa and a lamp on the table",
    "reading-nook": "an indoor reading nook with an armchair, a lamp and a bookshelf",
}

PHOTOS = {  # scene prompt -> (camera height, pitch degrees) of the synthetic photo
    "photo-park": ("a park with oak trees and benches", 1.6, -6.0),
    "photo-village": ("a village with houses and fences", 1.6, -4.0),
}


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def _baseline(preset: str) -> dict:
    """Ray cast one view of a small layout at the preset's size: the unit of generation cost."""
    import marble
    from pipelines.procedural import build_scene_geometry
    from pipelines.views import camera_rig, render_views
    from marble.presets import get_preset
    from marble.text import parse_prompt
    from pipelines.procedural import synthesize_layout

    p = get_preset(preset)
    layout = synthesize_layout(parse_prompt("a park"), seed=0, preset=p)
    geo = build_scene_geometry(layout, detail=p.mesh_subdivisions)
    cam = camera_rig(layout, preset=p, seed=0)[:1]
    _, wall, cpu = _timed(lambda: render_views(layout, geo, cam, seed=0))
    _, wall, cpu = _timed(lambda: render_views(layout, geo, cam, seed=0))  # warm
    del marble
    return {"raycast_view_wall_s": round(wall, 3), "raycast_view_cpu_s": round(cpu, 3)}


def _photo(prompt: str, cam_height: float, pitch: float, size=(512, 320)):
    """A photo of a procedural scene (so the world's truth is known), as an RGB array."""
    import math

    import numpy as np

    from marble.camera import Camera, look_at_pose
    from marble.text import parse_prompt
    from pipelines.procedural import build_scene_geometry, synthesize_layout
    from pipelines.views import LayoutRenderer

    layout = synthesize_layout(parse_prompt(prompt), seed=3)
    geo = build_scene_geometry(layout, detail=1)
    eye = np.array([0.0, cam_height, -0.5 * layout.environment.extent * 0.5])
    d = np.array([0.0, math.sin(math.radians(pitch)), math.cos(math.radians(pitch))])
    cam = Camera.from_fov(fov_y_deg=55.0, width=size[0], height=size[1], T_world_camera=look_at_pose(eye, eye + d))
    return LayoutRenderer(geo, layout, seed=3).render(cam).rgb


def run_scene(name: str, prompt: str, preset: str, *, save: Path | None, frames: bool, eye: int, aerial: int,
              width: int, height: int) -> dict:
    import marble
    from pipelines.evaluate import evaluate_world

    world, wall, cpu = _timed(lambda: marble.generate(prompt, seed=0, preset=preset))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "world.marble"
        world.save(path)
        size = path.stat().st_size
        if save is not None:
            save.mkdir(parents=True, exist_ok=True)
            world.save(save / f"{name}-{preset}.marble")
    fdir = (save / f"{name}-{preset}-frames") if (save is not None and frames) else None
    rep, ewall, ecpu = _timed(lambda: evaluate_world(world, eye=eye, aerial=aerial, width=width, height=height,
                                                     frames_dir=fdir))
    row = {"scene": name, "prompt": prompt, "preset": preset, "generate_wall_s": round(wall, 2),
           "generate_cpu_s": round(cpu, 2), "splats": world.num_splats, "bundle_mb": round(size / 1e6, 2),
           "eval_wall_s": round(ewall, 2), "eval_cpu_s": round(ecpu, 2), **rep.summary()}
    return row


def run_photo(name: str, spec, preset: str, *, save: Path | None, frames: bool, width: int, height: int) -> dict:
    import marble
    from pipelines.evaluate import evaluate_world

    prompt, h, pitch = spec
    rgb = _photo(prompt, h, pitch)
    world, wall, cpu = _timed(lambda: marble.generate(None, image=rgb, seed=0, preset=preset))
    fdir = (save / f"{name}-{preset}-frames") if (save is not None and frames) else None
    rep = evaluate_world(world, width=width, height=height, frames_dir=fdir)
    lo, hi = world.bounds(include_environment=False)
    return {"scene": name, "preset": preset, "generate_wall_s": round(wall, 2), "generate_cpu_s": round(cpu, 2),
            "splats": world.num_splats, "size_m": [round(float(x), 1) for x in hi - lo],
            "warnings": world.provenance.inputs.get("warnings", []), **rep.summary()}


def _line(row: dict) -> str:
    s = f"{row['scene']:<14} {row['preset']:<8} gen {row['generate_wall_s']:6.2f} s wall {row['generate_cpu_s']:6.2f} s CPU"
    s += f"  {row['splats']:>9,} splats"
    if "bundle_mb" in row:
        s += f" {row['bundle_mb']:7.2f} MB"
    for kind in ("eye", "aerial", "head"):
        g = row.get(kind)
        if g:
            s += f" | {kind} holes {100 * g['holes_mean']:5.2f}/{100 * g['holes_max']:5.2f}%"
            if "psnr_mean" in g:
                s += f" PSNR {g['psnr_mean']:5.2f}/{g['psnr_min']:5.2f}"
            if "floaters_mean" in g:
                s += f" fl {100 * g['floaters_mean']:4.2f}%"
    return s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="standard")
    ap.add_argument("--scenes", default="all", help="comma-separated names from: " + ", ".join([*SCENES, *PHOTOS]))
    ap.add_argument("--eye", type=int, default=8)
    ap.add_argument("--aerial", type=int, default=4)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--height", type=int, default=160)
    ap.add_argument("--save", type=Path, default=None, help="keep the worlds (and --frames) here")
    ap.add_argument("--frames", action="store_true", help="write the evaluation frames (truth | splats | holes)")
    ap.add_argument("--timing-only", action="store_true", help="only time generation (draft and standard)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--classic", action="store_true",
                    help="evaluate with classic 3DGS rasterization (no opacity compensation), as most viewers draw")
    args = ap.parse_args(argv)
    if args.classic:
        import marble.render.core

        marble.render.core.ANTIALIASED = False
    os.environ.setdefault("MARBLE_LOG_LEVEL", "warning")
    names = [*SCENES, *PHOTOS] if args.scenes == "all" else [s.strip() for s in args.scenes.split(",") if s.strip()]
    unknown = [n for n in names if n not in SCENES and n not in PHOTOS]
    if unknown:
        ap.error(f"unknown scenes {unknown}")
    import marble

    marble.generate("a park", seed=0, preset="draft")  # warm imports and the prompt model
    rows: list[dict] = []
    base = {p: _baseline(p) for p in (("draft", "standard") if args.timing_only else (args.preset,))}
    print("baseline (one ray-cast view):", json.dumps(base))
    if args.timing_only:
        for p in ("draft", "standard"):
            for n in names:
                if n not in SCENES:
                    continue
                w, wall, cpu = _timed(lambda: marble.generate(SCENES[n], seed=0, preset=p))
                row = {"scene": n, "preset": p, "generate_wall_s": round(wall, 2), "generate_cpu_s": round(cpu, 2),
                       "splats": w.num_splats}
                rows.append(row)
                print(_line(row), flush=True)
    else:
        for n in names:
            if n in SCENES:
                row = run_scene(n, SCENES[n], args.preset, save=args.save, frames=args.frames, eye=args.eye,
                                aerial=args.aerial, width=args.width, height=args.height)
            else:
                row = run_photo(n, PHOTOS[n], args.preset, save=args.save, frames=args.frames, width=args.width,
                                height=args.height)
            rows.append(row)
            print(_line(row), flush=True)
    out = {"baseline": base, "rows": rows}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
