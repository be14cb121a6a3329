"""``.marble`` bundles: a World saved losslessly, and read back safely from untrusted files.

A bundle is a zip holding ``world.json`` (structure, environment, cameras, provenance, layout,
extras) and ``tensors.safetensors`` (every array), with no pickle anywhere. Saving then loading gives
a world equal bit for bit, and the same world gives the same bytes (fixed zip dates, no timings).

Loading treats the file as hostile: the zip's declared sizes are checked against the limits before
anything is inflated (a zip bomb is refused, not read), encrypted or oddly compressed entries are
refused, the JSON is parsed with depth and number-length limits, and every layer transform, splat,
mesh index and camera is checked, so a bundle either loads into a consistent world or raises one
:class:`~marble.errors.FormatError` line naming the file.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
import trimesh
from PIL import Image
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import Tensor

from marble.camera import Camera
from marble.errors import FormatError, InputError
from marble.gaussians import Gaussians
from marble.geometry import decompose_similarity
from marble.io import atomic_write, parse_json
from marble.layout import Layout, Lighting
from marble.limits import check_memory, env_var, limits

BUNDLE_FORMAT = "marble-world"
BUNDLE_VERSION = 1
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
"""Timestamp of every entry in a ``.marble`` zip (the earliest a zip can hold), so saves are reproducible."""
MAX_DOC_BYTES = 256 << 20
"""Largest ``world.json`` read (its layout, provenance and edit history)."""
MAX_INFLATE_RATIO = 200
"""A compressed entry may inflate to at most this many times its stored size (real data deflates 1-20x)."""


# ---------------------------------------------------------------------- save
def save_bundle(world, path: str | Path) -> Path:
    """Write ``world`` as a ``.marble`` bundle, atomically; returns the path."""
    path = Path(path)
    tensors: dict[str, Tensor] = {}
    layers_json = []
    for i, layer in enumerate(world.layers):
        entry = {
            "name": layer.name, "label": layer.label, "visible": layer.visible, "meta": layer.meta,
            "gaussians": layer.gaussians is not None, "mesh": None,
        }
        tensors[f"layer{i}/transform"] = layer.transform
        if layer.gaussians is not None:
            for k, t in layer.gaussians.tensors().items():
                tensors[f"layer{i}/g/{k}"] = t.detach().cpu()
        if layer.mesh is not None:
            entry["mesh"] = mesh_to_tensors(layer.mesh, tensors, f"layer{i}/m/")
        layers_json.append(entry)
    env = world.environment
    if env.panorama is not None:
        tensors["environment/panorama"] = torch.from_numpy(np.ascontiguousarray(env.panorama))
    for k, t in world.extra_tensors.items():
        tensors[f"extra/{k}"] = t.detach().cpu()
    doc = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "layers": layers_json,
        "environment": {"kind": env.kind, "lighting": asdict(env.lighting), "ground_color": list(env.ground_color)},
        "cameras": [c.to_dict() for c in world.cameras],
        # timings describe one run, not the world: they go to the run's manifest.json, so the same
        # inputs, seed and preset give a byte-identical world.marble
        "provenance": {k: v for k, v in asdict(world.provenance).items() if k != "timings"},
        "layout": None if world.layout is None else world.layout.to_dict(),
        "extras": world.extras,
    }
    payload = st_save({k: v.contiguous() for k, v in tensors.items()}) if tensors else b""
    with atomic_write(path, "wb") as fh:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
            for name, data in (("world.json", json.dumps(doc, indent=1)), ("tensors.safetensors", payload)):
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)  # fixed: same world, same bytes
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
    return path


# ---------------------------------------------------------------------- load
def load_bundle(path: str | Path):
    """Read a ``.marble`` bundle into a World.

    Raises:
        InputError: ``path`` does not exist.
        FormatError: not a bundle, truncated, encrypted, over the size limits, or inconsistent
            (one line naming the file).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{str(path)!r} does not exist or is not a file")
    name = path.name
    size, cap = path.stat().st_size, limits().max_file_bytes
    if size > cap:
        raise FormatError(f"{name}: {size} bytes is over the import limit of {cap} ({env_var('max_file_bytes')})")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {info.filename: info for info in zf.infolist()}
            if "world.json" not in infos or "tensors.safetensors" not in infos:
                raise FormatError(f"{name}: not a .marble bundle (world.json or tensors.safetensors missing)")
            raw_doc = _read_member(zf, infos["world.json"], name, MAX_DOC_BYTES)
            raw = _read_member(zf, infos["tensors.safetensors"], name, cap)
    except FormatError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError, NotImplementedError,
            zlib.error, ValueError, OverflowError) as exc:
        raise FormatError(f"{name}: not a readable .marble bundle ({type(exc).__name__}: {exc})") from exc
    doc = parse_json(raw_doc, f"{name}: world.json")
    if not isinstance(doc, dict):
        raise FormatError(f"{name}: not a .marble bundle (world.json is a {type(doc).__name__}, not an object)")
    if doc.get("format") != BUNDLE_FORMAT:
        raise FormatError(f"{name}: not a .marble bundle (format is {_short(doc.get('format'))})")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FormatError(f"{name}: bundle version {_short(version)} is not a positive integer")
    if version > BUNDLE_VERSION:
        raise FormatError(f"{name}: bundle version {version} is newer than this Marble reads ({BUNDLE_VERSION})")
    try:
        tensors = st_load(raw) if raw else {}
    except Exception as exc:  # safetensors raises its own error type
        raise FormatError(f"{name}: tensors are unreadable ({exc})") from exc
    try:
        return _world_from_doc(doc, tensors)
    except FormatError as exc:
        raise FormatError(f"{name}: {exc}") from exc
    except InputError as exc:
        raise FormatError(f"{name}: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, RuntimeError) as exc:
        raise FormatError(f"{name}: inconsistent bundle ({type(exc).__name__}: {exc})") from exc


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, cap: int) -> bytes:
    """The bytes of one zip entry, refusing entries whose declared size breaks the limits before inflating."""
    if info.flag_bits & 0x1:
        raise FormatError(f"{name}: entry {info.filename} is encrypted: .marble bundles are never encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise FormatError(f"{name}: entry {info.filename} uses an unsupported compression method {info.compress_type}")
    if info.file_size > cap:
        raise FormatError(f"{name}: entry {info.filename} claims {info.file_size} bytes, over the limit of {cap}")
    if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > MAX_INFLATE_RATIO * max(info.compress_size, 1024):
        raise FormatError(f"{name}: entry {info.filename} would inflate {info.compress_size} bytes to "
                          f"{info.file_size}: refused as a zip bomb")
    check_memory(info.file_size, f"{name}: reading {info.filename}")
    with zf.open(info) as fh:
        data = fh.read(info.file_size + 1)  # the zip module stops at the declared size and checks the CRC
    if len(data) != info.file_size:
        raise FormatError(f"{name}: entry {info.filename} is truncated or longer than it says")
    return data


def _world_from_doc(doc: dict, tensors: dict[str, Tensor]):
    from marble.checks import check_layout, check_lighting
    from marble.world import Environment, Layer, Provenance, World

    env_doc = _dict(doc.get("environment"), "environment")
    kind = env_doc.get("kind", "gradient")
    if kind not in ("gradient", "panorama"):
        raise FormatError(f"environment kind {_short(kind)} is not 'gradient' or 'panorama'")
    panorama = tensors["environment/panorama"].numpy() if "environment/panorama" in tensors else None
    if panorama is not None and (panorama.dtype != np.uint8 or panorama.ndim != 3 or panorama.shape[2] != 3):
        raise FormatError(f"environment panorama must be [H, W, 3] uint8, got {panorama.dtype} {list(panorama.shape)}")
    lighting = check_lighting(Lighting.from_dict(_dict(env_doc.get("lighting", {}), "environment lighting")))
    ground = _finite_vector(env_doc.get("ground_color", (0.35, 0.33, 0.3)), 3, "environment ground_color")
    layout_doc = doc.get("layout")
    world = World(
        environment=Environment(kind=kind, panorama=panorama, lighting=lighting, ground_color=tuple(ground)),
        cameras=[Camera.from_dict(_dict(c, "camera")) for c in _list(doc.get("cameras", []), "cameras")],
        provenance=Provenance(**_dict(doc.get("provenance", {}), "provenance")),
        layout=None if layout_doc is None else check_layout(Layout.from_dict(_dict(layout_doc, "layout"))),
    )
    for i, entry in enumerate(_list(doc.get("layers"), "layers")):
        entry = _dict(entry, f"layer {i}")
        layer_name = entry["name"]
        if not isinstance(layer_name, str) or not layer_name:
            raise FormatError(f"layer {i} has no name")
        g = None
        if entry.get("gaussians"):
            prefix = f"layer{i}/g/"
            g = Gaussians(**{k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
            try:
                g.validate()
            except InputError as exc:
                raise FormatError(f"layer {layer_name!r}: {exc}") from exc
        mesh_doc = entry.get("mesh")
        mesh = None if mesh_doc is None else mesh_from_tensors(_dict(mesh_doc, f"layer {layer_name!r} mesh"), tensors,
                                                               f"layer{i}/m/", what=f"layer {layer_name!r}")
        transform = tensors[f"layer{i}/transform"]
        if transform.shape != (4, 4):
            raise FormatError(f"layer {layer_name!r} transform must be 4x4, got {list(transform.shape)}")
        try:
            decompose_similarity(transform)  # finite, a rotation times a uniform scale, no reflection
        except InputError as exc:
            raise FormatError(f"layer {layer_name!r} transform is unusable: {exc}") from exc
        world.add_layer(Layer(layer_name, label=str(entry.get("label", "")), gaussians=g, mesh=mesh,
                              transform=transform, visible=bool(entry.get("visible", True)),
                              meta=_dict(entry.get("meta", {}), f"layer {layer_name!r} meta")))
    world.extras = _dict(doc.get("extras") or {}, "extras")
    world.extra_tensors = {k[len("extra/"):]: v for k, v in tensors.items() if k.startswith("extra/")}
    return world


def _dict(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise FormatError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def _list(value, what: str) -> list:
    if not isinstance(value, list):
        raise FormatError(f"{what} must be a JSON array, got {type(value).__name__}")
    return value


def _finite_vector(value, n: int, what: str) -> np.ndarray:
    v = np.asarray(value, dtype=np.float64).reshape(-1)
    if v.shape != (n,) or not np.isfinite(v).all():
        raise FormatError(f"{what} must be {n} finite numbers")
    return v


# ---------------------------------------------------------------------- meshes
def mesh_to_tensors(mesh: trimesh.Trimesh, tensors: dict[str, Tensor], prefix: str) -> dict:
    """Store a mesh's arrays under ``prefix`` in ``tensors``; return its JSON description."""
    desc: dict[str, Any] = {"visual": "none"}
    tensors[prefix + "vertices"] = torch.from_numpy(np.ascontiguousarray(mesh.vertices))
    tensors[prefix + "faces"] = torch.from_numpy(np.ascontiguousarray(mesh.faces).astype(np.int64))
    vis = mesh.visual
    if isinstance(vis, trimesh.visual.TextureVisuals) and vis.uv is not None:
        desc["visual"] = "texture"
        tensors[prefix + "uv"] = torch.from_numpy(np.ascontiguousarray(vis.uv))
        mat = vis.material
        image = getattr(mat, "baseColorTexture", None) or getattr(mat, "image", None)
        if image is not None:
            arr = np.asarray(image)
            tensors[prefix + "texture"] = torch.from_numpy(np.array(arr, copy=True))
            desc["texture_mode"] = image.mode
        pbr = mat if isinstance(mat, trimesh.visual.material.PBRMaterial) else None
        desc["material"] = {
            "name": getattr(mat, "name", None),
            "baseColorFactor": None if pbr is None or pbr.baseColorFactor is None else [int(x) for x in pbr.baseColorFactor],
            "metallicFactor": None if pbr is None or pbr.metallicFactor is None else float(pbr.metallicFactor),
            "roughnessFactor": None if pbr is None or pbr.roughnessFactor is None else float(pbr.roughnessFactor),
        }
    elif isinstance(vis, trimesh.visual.ColorVisuals) and vis.kind == "vertex":
        desc["visual"] = "vertex"
        tensors[prefix + "vertex_colors"] = torch.from_numpy(np.ascontiguousarray(vis.vertex_colors))
    elif isinstance(vis, trimesh.visual.ColorVisuals) and vis.kind == "face":
        desc["visual"] = "face"
        tensors[prefix + "face_colors"] = torch.from_numpy(np.ascontiguousarray(vis.face_colors))
    return desc


def mesh_from_tensors(desc: dict, tensors: dict[str, Tensor], prefix: str, *, what: str = "mesh") -> trimesh.Trimesh:
    """The mesh :func:`mesh_to_tensors` stored under ``prefix``.

    Raises:
        FormatError: vertices that are not finite ``[V, 3]``, face indices outside ``0..V-1``, or colour
            and UV arrays that do not fit the mesh (``what`` names the mesh).
    """
    vertices = tensors[prefix + "vertices"].numpy()
    faces = tensors[prefix + "faces"].numpy()
    if vertices.ndim != 2 or vertices.shape[1] != 3 or not np.isfinite(vertices).all():
        raise FormatError(f"{what}: mesh vertices must be finite [V, 3], got {vertices.dtype} {list(vertices.shape)}")
    if faces.ndim != 2 or faces.shape[1] != 3 or faces.dtype.kind not in "iu" or (
            faces.size and (faces.min() < 0 or faces.max() >= len(vertices))):
        raise FormatError(f"{what}: mesh faces must be [F, 3] indices into its {len(vertices)} vertices")
    kind = desc.get("visual", "none")
    visual = None
    if kind == "vertex":
        visual = trimesh.visual.ColorVisuals(vertex_colors=_colors(tensors[prefix + "vertex_colors"], len(vertices), what))
    elif kind == "face":
        visual = trimesh.visual.ColorVisuals(face_colors=_colors(tensors[prefix + "face_colors"], len(faces), what))
    elif kind == "texture":
        md = desc.get("material") or {}
        image = None
        if prefix + "texture" in tensors:
            image = Image.fromarray(tensors[prefix + "texture"].numpy(), mode=None)
        mat = trimesh.visual.material.PBRMaterial(
            name=md.get("name"),
            baseColorTexture=image,
            baseColorFactor=md.get("baseColorFactor"),
            metallicFactor=md.get("metallicFactor"),
            roughnessFactor=md.get("roughnessFactor"),
        )
        uv = tensors[prefix + "uv"].numpy()
        if uv.shape != (len(vertices), 2) or not np.isfinite(uv).all():
            raise FormatError(f"{what}: mesh UVs must be finite [{len(vertices)}, 2], got {list(uv.shape)}")
        visual = trimesh.visual.TextureVisuals(uv=uv, material=mat)
    elif kind != "none":
        raise FormatError(f"{what}: unknown mesh visual {_short(kind)}")
    return trimesh.Trimesh(vertices=vertices, faces=faces, visual=visual, process=False, validate=False)


def _colors(t: Tensor, n: int, what: str) -> np.ndarray:
    c = t.numpy()
    if c.dtype != np.uint8 or c.ndim != 2 or c.shape[0] != n or c.shape[1] not in (3, 4):
        raise FormatError(f"{what}: mesh colours must be [{n}, 3 or 4] uint8, got {c.dtype} {list(c.shape)}")
    return c


def meshes_equal(a: trimesh.Trimesh, b: trimesh.Trimesh) -> bool:
    """True when two meshes have the same vertices, faces and visuals, bit for bit."""
    if not (np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)):
        return False
    ta, tb = {}, {}
    da, db = mesh_to_tensors(a, ta, ""), mesh_to_tensors(b, tb, "")
    return da == db and ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta)
