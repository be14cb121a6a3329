"""Meeting a VR or target profile's budget (the budgets themselves are in :mod:`exporters.budgets`).

A profile prunes splats by importance (opacity x volume) while keeping coverage (the most
important splat of every occupied voxel is always kept), decimates meshes with quadric
simplification (fast-simplification), writes a separate low-poly collider GLB, and records the
budget it met in ``<output file name>.manifest.json`` beside it (``world.glb.manifest.json``, so
exports of one world to several formats keep one manifest each).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import trimesh

from exporters.budgets import Profile, get_profile
from exporters.scene import ExportOptions, ExportScene
from marble.errors import BudgetError, InputError
from marble.gaussians import Gaussians
from marble.io import atomic_write


# ---------------------------------------------------------------------- splat pruning
def splat_importance(g: Gaussians) -> torch.Tensor:  # [N]
    """``opacity x volume`` (volume ~ product of the three scales), the pruning score ``[N]``."""
    return torch.sigmoid(g.opacity_logits.double()) * torch.exp(g.log_scales.double().sum(dim=-1))


def prune_indices(g: Gaussians, budget: int, *, cells_fraction: float = 0.25) -> np.ndarray:
    """Indices (sorted, ``[M]``, ``M <= budget``) of the splats to keep.

    Coverage first: space is cut into about ``cells_fraction * budget`` voxels and the most
    important splat of every occupied voxel is kept; the rest of the budget goes to the most
    important remaining splats. Deterministic (ties broken by index).
    """
    n = g.num_splats
    if budget >= n:
        return np.arange(n)
    if budget <= 0:
        return np.zeros(0, np.int64)
    score = splat_importance(g).cpu().numpy()
    means = g.means.detach().cpu().numpy().astype(np.float64)
    lo, hi = means.min(axis=0), means.max(axis=0)
    extent = np.maximum(hi - lo, 1e-6)
    cells = max(1.0, cells_fraction * budget)
    side = float(np.cbrt(np.prod(extent) / cells))
    side = max(side, 1e-6)
    dims = np.maximum(np.ceil(extent / side), 1).astype(np.int64)
    cell = np.minimum(((means - lo) / side).astype(np.int64), dims - 1)
    cid = (cell[:, 0] * dims[1] + cell[:, 1]) * dims[2] + cell[:, 2]
    # order: by cell, then importance descending, then index
    order = np.lexsort((np.arange(n), -score, cid))
    first = np.ones(n, bool)
    first[1:] = cid[order][1:] != cid[order][:-1]
    cover = order[first]
    if len(cover) > budget:  # more occupied cells than budget: keep the most important covers
        cover = cover[np.lexsort((cover, -score[cover]))[:budget]]
    keep = np.zeros(n, bool)
    keep[cover] = True
    left = budget - int(keep.sum())
    if left > 0:
        rest = np.nonzero(~keep)[0]
        pick = rest[np.lexsort((rest, -score[rest]))[:left]]
        keep[pick] = True
    return np.nonzero(keep)[0]


# ---------------------------------------------------------------------- mesh decimation
def decimate_mesh(mesh: trimesh.Trimesh, target_faces: int) -> trimesh.Trimesh:
    """Quadric decimation to at most about ``target_faces`` triangles, keeping vertex colours.

    Colours (and other per-vertex visuals) are carried to the new vertices from the nearest
    original vertex. Texture-mapped meshes keep only their geometry's nearest-vertex colours.
    """
    import fast_simplification
    from scipy.spatial import cKDTree

    f = len(mesh.faces)
    if target_faces >= f:
        return mesh
    target_faces = max(int(target_faces), 4)
    pts = np.asarray(mesh.vertices, dtype=np.float32)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    reduction = 1.0 - target_faces / f
    new_pts, new_faces = fast_simplification.simplify(pts, faces, target_reduction=min(max(reduction, 0.0), 0.999))
    out = trimesh.Trimesh(vertices=new_pts.astype(np.float64), faces=new_faces, process=False, validate=False)
    colors = None
    vis = mesh.visual
    if isinstance(vis, trimesh.visual.ColorVisuals) and vis.kind in ("vertex", "face"):
        colors = np.asarray(vis.vertex_colors)
    elif isinstance(vis, trimesh.visual.TextureVisuals):
        try:
            colors = np.asarray(vis.to_color().vertex_colors)
        except Exception:  # trimesh raises various errors for textures it cannot sample
            colors = None
    if colors is not None and len(new_pts):
        _, nearest = cKDTree(pts).query(new_pts, k=1)
        out.visual = trimesh.visual.ColorVisuals(out, vertex_colors=colors[nearest])
    return out


# ---------------------------------------------------------------------- applying a profile
def apply_profile(scene: ExportScene, options: ExportOptions, *, extension: str) -> Profile | None:
    """Prune/decimate ``scene`` in place to the profile's budget; fill ``scene.manifest``.

    Raises:
        BudgetError: over budget with ``prune=False``, or decimation cannot reach the budget.
    """
    if options.profile is None:
        return None
    prof = get_profile(options.profile)
    before = {"splats": scene.num_splats, "triangles": scene.num_triangles}
    actions: list[str] = []
    if prof.usdz_arkit and extension == ".usdz":
        dropped = scene.num_splats
        if dropped:
            for layer in scene.layers:
                layer.gaussians = None
            actions.append(f"dropped {dropped} splats: AR Quick Look USDZ cannot hold splat prims")
        if scene.num_triangles == 0:
            raise BudgetError(
                f"profile {prof.name!r} writes ARKit USDZ, which holds meshes only, but the chosen layers have "
                "no meshes; export splats to .spz/.ply instead or include mesh layers"
            )
    if prof.max_splats is not None and scene.num_splats > prof.max_splats:
        if not options.prune:
            raise BudgetError(
                f"{scene.num_splats} splats exceed profile {prof.name!r}'s budget of {prof.max_splats}; "
                "allow pruning (drop `prune=False` / --no-prune) or choose fewer layers"
            )
        _prune_scene(scene, prof.max_splats)
        actions.append(f"pruned splats {before['splats']} -> {scene.num_splats} (importance, coverage kept)")
    if prof.max_triangles is not None and scene.num_triangles > prof.max_triangles:
        if not options.prune:
            raise BudgetError(
                f"{scene.num_triangles} triangles exceed profile {prof.name!r}'s budget of {prof.max_triangles}; "
                "allow decimation (drop `prune=False` / --no-prune) or choose fewer layers"
            )
        _decimate_scene(scene, prof.max_triangles)
        if scene.num_triangles > prof.max_triangles:
            raise BudgetError(
                f"decimation reached {scene.num_triangles} triangles, above profile {prof.name!r}'s budget "
                f"of {prof.max_triangles}; export fewer layers"
            )
        actions.append(f"decimated meshes {before['triangles']} -> {scene.num_triangles} triangles")
    tex = prof.max_texture_size
    if tex is not None and options.texture_size > tex:
        actions.append(f"texture size capped {options.texture_size} -> {tex}")
    scene.manifest = {
        "profile": prof.name,
        "budget": asdict(prof),
        "input": before,
        "output": {"splats": scene.num_splats, "triangles": scene.num_triangles,
                   "texture_size": min(options.texture_size, tex) if tex else options.texture_size},
        "within_budget": True,
        "actions": actions,
    }
    return prof


def _prune_scene(scene: ExportScene, budget: int) -> None:
    parts = [(i, layer.gaussians) for i, layer in enumerate(scene.layers) if layer.gaussians is not None]
    all_g = Gaussians.concat([g for _, g in parts])
    keep = prune_indices(all_g, budget)
    offset = 0
    for i, g in parts:
        n = g.num_splats
        local = keep[(keep >= offset) & (keep < offset + n)] - offset
        scene.layers[i].gaussians = g.select(torch.from_numpy(local)) if len(local) else None
        offset += n


def _decimate_scene(scene: ExportScene, budget: int) -> None:
    total = scene.num_triangles
    for layer in scene.layers:
        if layer.mesh is None:
            continue
        f = len(layer.mesh.faces)
        target = int(math.floor(f * budget / total))
        layer.mesh = decimate_mesh(layer.mesh, target)


# ---------------------------------------------------------------------- extra files
def output_stem(path: Path, extension: str) -> Path:
    """``/a/world.compressed.ply`` with ``.compressed.ply`` -> ``/a/world``."""
    name = path.name
    return path.with_name(name[: len(name) - len(extension)] if name.lower().endswith(extension) else path.stem)


def build_collider(scene: ExportScene, prof: Profile) -> trimesh.Trimesh | None:
    """All meshes merged (geometry only) and decimated into the collider triangle range."""
    meshes = [layer.mesh for layer in scene.layers if layer.mesh is not None]
    if not meshes or prof.collider_max_triangles is None:
        return None
    merged = trimesh.util.concatenate([trimesh.Trimesh(m.vertices, m.faces, process=False) for m in meshes])
    merged.merge_vertices()
    f = len(merged.faces)
    if f > prof.collider_max_triangles:
        target = max(prof.collider_min_triangles or 0, min(f, (prof.collider_min_triangles + prof.collider_max_triangles) // 2))
        merged = decimate_mesh(merged, target)
    return merged


def write_profile_extras(
    scene: ExportScene, path: Path, options: ExportOptions, prof: Profile, *, main_files: list[Path]
) -> list[Path]:
    """Write the collider GLB (when the profile has one) and the manifest; returns their paths."""
    from exporters.gltf import mesh_primitive
    from exporters.gltf_builder import GltfBuilder
    from exporters.registry import EXPORTERS, match_extension

    ext = match_extension(path, EXPORTERS)
    stem = output_stem(Path(path), ext)
    written: list[Path] = []
    want_collider = options.collider if options.collider is not None else prof.collider_max_triangles is not None
    collider = build_collider(scene, prof) if want_collider else None
    if options.collider and collider is None:
        raise InputError("`collider=True` needs mesh layers; the chosen layers have none")
    if collider is not None:
        b = GltfBuilder(generator="Marble collider")
        prim = mesh_primitive(b, collider, name="collider")
        m = b.add("meshes", {"name": "collider", "primitives": [prim]})
        node = b.add("nodes", {"name": "collider", "mesh": m, "extras": {"collider": True}})
        b.doc["scenes"][0]["nodes"].append(node)
        cpath = stem.with_name(stem.name + ".collider.glb")
        with atomic_write(cpath, "wb") as fh:
            fh.write(b.glb_bytes())
        written.append(cpath)
        scene.manifest["collider"] = {"file": cpath.name, "triangles": int(len(collider.faces))}
    scene.manifest["files"] = [p.name for p in main_files + written]
    mpath = Path(path).with_name(Path(path).name + ".manifest.json")
    with atomic_write(mpath, "w") as fh:
        fh.write(json.dumps(scene.manifest, indent=2))
    written.append(mpath)
    return written
