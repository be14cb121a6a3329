"""``.glb`` / ``.gltf``: meshes with PBR materials and, when asked, splats (KHR_gaussian_splatting).

One node per layer, named after the layer (``extras.label``: its semantic label). Its mesh holds
the layer's triangles (vertex colours as linear ``COLOR_0``, or a baked/base-colour texture).
The layer's splats (a POINTS primitive, see ``khr_splats``) get a mesh of their own, because
loaders such as three.js refuse meshes that mix splat and triangle primitives: on the layer node
itself when the layer has no triangles, else on a child node ``<layer>_splats`` marked
``extras.marble_part = "splats"``. glTF is +Y up, metres: the world frame, no flip (see
``exporters.axes`` for how viewers orient it).

The reader turns such files (ours, splat-transform's, other tools' meshes and splats) back into a
World, one layer per node with a mesh, a marked splat child joining its parent's layer. ``SCALE``
is read as linear, as the extension specifies, except in files by Marble writers that stored
natural logs (``khr_splats.legacy_log_scale``).
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

from exporters.binary import check_count, read_input_bytes, require_bytes, splat_bytes
from exporters.gltf_accessors import AccessorReader
from exporters.gltf_builder import (
    CHUNK_BIN,
    CHUNK_JSON,
    ELEMENT_ARRAY_BUFFER,
    GLB_MAGIC,
    GltfBuilder,
)
from exporters.khr_splats import (
    add_splat_primitive,
    decode_splat_primitive,
    is_splat_primitive,
    legacy_log_scale,
)
from exporters.scene import ExportOptions, ExportScene
from marble.color import linear_to_srgb, srgb_to_linear
from marble.errors import FormatError, InputError, MarbleError
from marble.io import atomic_write, parse_json


def _png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


# ---------------------------------------------------------------------- mesh encoding
def _unit_normals(mesh: trimesh.Trimesh) -> np.ndarray:
    n = np.array(mesh.vertex_normals, dtype=np.float64)
    norm = np.linalg.norm(n, axis=1)
    bad = ~np.isfinite(norm) | (norm < 1e-6)
    n[bad] = (0.0, 1.0, 0.0)
    norm[bad] = 1.0
    return (n / norm[:, None]).astype(np.float32)


def mesh_primitive(b: GltfBuilder, mesh: trimesh.Trimesh, *, name: str, material: dict | None = None) -> dict:
    """Store ``mesh`` (vertex colours, face colours or a texture) and return its triangle primitive."""
    vis = mesh.visual
    uv = None
    texture_image = None
    colors = None
    if isinstance(vis, trimesh.visual.TextureVisuals) and vis.uv is not None and len(vis.uv) == len(mesh.vertices):
        uv = np.asarray(vis.uv, dtype=np.float32)
        mat = vis.material
        texture_image = getattr(mat, "baseColorTexture", None) or getattr(mat, "image", None)
    elif isinstance(vis, trimesh.visual.ColorVisuals) and vis.kind == "face":
        mesh = trimesh.Trimesh(
            vertices=mesh.vertices[mesh.faces].reshape(-1, 3),
            faces=np.arange(len(mesh.faces) * 3).reshape(-1, 3),
            vertex_colors=np.repeat(np.asarray(vis.face_colors), 3, axis=0),
            process=False,
        )
        colors = np.asarray(mesh.visual.vertex_colors)
    elif isinstance(vis, trimesh.visual.ColorVisuals) and vis.kind == "vertex":
        colors = np.asarray(vis.vertex_colors)
    attrs = {
        "POSITION": b.add_accessor(np.asarray(mesh.vertices, dtype=np.float32), min_max=True),
        "NORMAL": b.add_accessor(_unit_normals(mesh)),
    }
    alpha_blend = False
    if colors is not None:
        lin = srgb_to_linear(colors[:, :3].astype(np.float64) / 255.0)
        alpha = colors[:, 3].astype(np.float64) / 255.0
        alpha_blend = bool((colors[:, 3] < 255).any())
        # VEC4 always: a VEC3 of unsigned shorts (6 bytes) breaks glTF's 4-byte vertex alignment.
        c = np.concatenate([lin, alpha[:, None]], axis=1)
        attrs["COLOR_0"] = b.add_accessor(np.round(c * 65535).astype(np.uint16), normalized=True)
    if uv is not None:
        attrs["TEXCOORD_0"] = b.add_accessor(np.stack([uv[:, 0], 1.0 - uv[:, 1]], axis=1).astype(np.float32))
    faces = np.asarray(mesh.faces)
    idx_dtype = np.uint16 if len(mesh.vertices) < 65535 else np.uint32
    indices = b.add_accessor(faces.reshape(-1).astype(idx_dtype), target=ELEMENT_ARRAY_BUFFER)
    mat = {
        "name": name,
        "pbrMetallicRoughness": {"baseColorFactor": [1.0, 1.0, 1.0, 1.0], "metallicFactor": 0.0, "roughnessFactor": 0.9},
        "doubleSided": True,
    }
    if material:
        mat["pbrMetallicRoughness"].update(material)
    if texture_image is not None:
        tex = b.add_image_png(_png_bytes(texture_image.convert("RGBA" if texture_image.mode in ("RGBA", "LA") else "RGB")),
                              name=name)
        mat["pbrMetallicRoughness"]["baseColorTexture"] = {"index": tex}
    if alpha_blend:
        mat["alphaMode"] = "BLEND"
    m_index = b.add("materials", mat)
    return {"attributes": attrs, "indices": indices, "material": m_index, "mode": 4}


SPLATS_PART = "splats"  # extras.marble_part of a layer's splat child node


def generator_name() -> str:
    """``asset.generator`` of the files written here: ``"Marble <version>"`` (never the bare
    ``"Marble"`` of the writers that stored log-space scales)."""
    from marble import __version__

    return f"Marble {__version__}"


def build_gltf(scene: ExportScene, options: ExportOptions, *, generator: str | None = None) -> GltfBuilder:
    """A glTF document with one node per layer: its triangles as one mesh, its KHR splats as another
    (on the layer node when it has no triangles, else on a child node ``<layer>_splats``)."""
    from exporters.textures import maybe_bake

    b = GltfBuilder(generator=generator or generator_name())
    for layer in scene.layers:
        tri_mesh = splat_mesh = None
        if layer.mesh is not None and options.meshes:
            mesh = maybe_bake(layer.mesh, options, scene)
            prim = mesh_primitive(b, mesh, name=layer.label or layer.name)
            tri_mesh = b.add("meshes", {"name": layer.name, "primitives": [prim]})
        if layer.gaussians is not None and options.splats:
            prim = add_splat_primitive(b, layer.gaussians, sh_degree=options.sh_degree)
            splat_mesh = b.add("meshes", {"name": f"{layer.name}_{SPLATS_PART}", "primitives": [prim]})
        if tri_mesh is None and splat_mesh is None:
            continue
        node = b.add("nodes", {"name": layer.name, "mesh": tri_mesh if tri_mesh is not None else splat_mesh,
                               "extras": {"label": layer.label}})
        if tri_mesh is not None and splat_mesh is not None:
            child = b.add("nodes", {"name": f"{layer.name}_{SPLATS_PART}", "mesh": splat_mesh,
                                    "extras": {"label": layer.label, "marble_part": SPLATS_PART}})
            b.doc["nodes"][node]["children"] = [child]
        b.doc["scenes"][0]["nodes"].append(node)
    return b


def write_glb(scene: ExportScene, path: Path, options: ExportOptions) -> list[Path]:
    """Write a binary glTF (atomically)."""
    data = build_gltf(scene, options).glb_bytes()
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return [Path(path)]


def write_gltf(scene: ExportScene, path: Path, options: ExportOptions) -> list[Path]:
    """Write a self-contained JSON glTF (buffer embedded as a data URI, atomically)."""
    data = build_gltf(scene, options).gltf_bytes()
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return [Path(path)]


# ---------------------------------------------------------------------- reading
MAX_NODE_VALUE = 1e9
"""Largest magnitude a node's matrix, scale, rotation or translation entry may have (metres or factors)."""


def parse_glb(path: str | Path, data: bytes) -> tuple[dict, bytes]:
    """Split a GLB into its JSON document and binary chunk, checking every length."""
    name = Path(path).name
    require_bytes(path, len(data), 12, "GLB header")
    magic, version, length = struct.unpack_from("<III", data, 0)
    if magic != GLB_MAGIC:
        raise FormatError(f"{name}: not a GLB file (bad magic)")
    if version != 2:
        raise FormatError(f"{name}: GLB version {version} is not supported (need 2)")
    if length > len(data):
        raise FormatError(f"{name}: truncated: header says {length} bytes, file has {len(data)}")
    off, doc, binary = 12, None, b""
    while off + 8 <= length:
        clen, ctype = struct.unpack_from("<II", data, off)
        off += 8
        require_bytes(path, length - off, clen, "GLB chunk")
        chunk = data[off : off + clen]
        off += clen
        if ctype == CHUNK_JSON and doc is None:
            doc = parse_json(chunk, f"{name}: GLB JSON chunk")
        elif ctype == CHUNK_BIN and not binary:
            binary = chunk
    if not isinstance(doc, dict):
        raise FormatError(f"{name}: GLB has no JSON chunk")
    return doc, binary


def _node_matrices(doc: dict, name: str) -> dict[int, np.ndarray]:
    """World matrix of every node reachable from the default scene (TRS or matrix)."""
    nodes = doc.get("nodes") or []
    out: dict[int, np.ndarray] = {}

    def numbers(node: dict, key: str, n: int, index: int) -> np.ndarray:
        v = np.asarray(node[key], dtype=np.float64).reshape(-1)
        if v.shape != (n,) or not np.isfinite(v).all() or (np.abs(v) > MAX_NODE_VALUE).any():
            raise FormatError(f"{name}: node {index} {key} must be {n} finite numbers of at most {MAX_NODE_VALUE:g}")
        return v

    def local(node: dict, index: int) -> np.ndarray:
        if "matrix" in node:
            return numbers(node, "matrix", 16, index).reshape(4, 4).T
        T = np.eye(4)
        if "scale" in node:
            T = np.diag([*numbers(node, "scale", 3, index), 1.0]) @ T
        if "rotation" in node:
            x, y, z, w = numbers(node, "rotation", 4, index)
            R = trimesh.transformations.quaternion_matrix([w, x, y, z])
            T = R @ T
        if "translation" in node:
            T[:3, 3] += numbers(node, "translation", 3, index)
        return T

    scenes = doc.get("scenes") or [{"nodes": list(range(len(nodes)))}]
    roots = scenes[int(doc.get("scene", 0)) if scenes else 0].get("nodes", [])
    stack = [(int(r), np.eye(4)) for r in roots]
    seen = 0
    while stack:
        i, parent = stack.pop()
        seen += 1
        if seen > 100_000 or not (0 <= i < len(nodes)) or i in out:
            raise FormatError(f"{name}: node hierarchy is cyclic or invalid")
        out[i] = parent @ local(nodes[i], i)
        if not np.isfinite(out[i]).all() or abs(np.linalg.det(out[i][:3, :3])) < 1e-12:
            raise FormatError(f"{name}: node {i}'s transform is degenerate or overflows (scale {np.abs(out[i][:3, :3]).max():.3g})")
        stack.extend((int(c), out[i]) for c in nodes[i].get("children", []))
    return out


def _layer_keys(doc: dict, indices) -> dict[int, int]:
    """For each node index, the node whose layer it joins: its parent when it is a marked splat
    child (``extras.marble_part == "splats"``), else itself."""
    nodes = doc.get("nodes") or []
    parent = {int(c): i for i, node in enumerate(nodes) for c in (node.get("children") or [])}
    keys = {}
    for ni in indices:
        extras = nodes[ni].get("extras")
        marked = isinstance(extras, dict) and extras.get("marble_part") == SPLATS_PART
        keys[ni] = parent[ni] if marked and ni in parent else ni
    return keys


def decode_glb(path: str | Path, data: bytes):
    """A World from a GLB: one layer per node with a mesh (its triangles and/or KHR splats); a
    layer's marked splat child node joins its parent's layer."""
    from exporters.importers import layer_name_for
    from marble.gaussians import Gaussians
    from marble.world import Layer, Provenance, World

    name = Path(path).name
    doc, binary = parse_glb(path, data)
    read = AccessorReader(name, doc, binary)
    log_scale = legacy_log_scale(doc)
    world = World(provenance=Provenance(inputs={"import": name}))
    total_splats = splat_memory = 0
    try:
        matrices = _node_matrices(doc, name)
        keys = _layer_keys(doc, matrices)
        parts: dict[int, tuple[list, list]] = {}
        for ni, T in sorted(matrices.items()):
            node = doc["nodes"][ni]
            if "mesh" not in node:
                continue
            mesh_doc = doc["meshes"][node["mesh"]]
            splats, tris = [], []
            for prim in mesh_doc.get("primitives", []):
                if is_splat_primitive(prim):
                    attrs = prim.get("attributes") or {}
                    total_splats += read.count(attrs.get("POSITION"))
                    sh = sum(1 for k in attrs if "SH_DEGREE_" in k and "SH_DEGREE_0_" not in k)
                    splat_memory += read.count(attrs.get("POSITION")) * splat_bytes(sh)
                    check_count(name, total_splats, bytes_each=splat_memory // max(total_splats, 1))  # before decoding
                    splats.append(decode_splat_primitive(prim, read, name=name, log_scale=log_scale))
                elif prim.get("mode", 4) == 4:
                    tris.append(_decode_triangles(prim, read, doc, binary, name))
            if not np.allclose(T, np.eye(4)):
                try:  # a splat node must be a similarity
                    splats = [g.transform(T).validate() for g in splats]
                except InputError as exc:
                    raise FormatError(f"{name}: node {ni} cannot carry splats: {exc}") from exc
                for mesh in tris:
                    mesh.apply_transform(T)
                    if not np.isfinite(mesh.vertices).all():
                        raise FormatError(f"{name}: node {ni}'s transform moves mesh vertices out of range")
            if splats or tris:
                gs, ms = parts.setdefault(keys[ni], ([], []))
                gs.extend(splats)
                ms.extend(tris)
        for key, (splats, tris) in parts.items():
            node = doc["nodes"][key]
            g = Gaussians.concat(splats) if splats else None
            mesh = trimesh.util.concatenate(tris) if len(tris) > 1 else (tris[0] if tris else None)
            mesh_doc = doc["meshes"][node["mesh"]] if "mesh" in node else {}
            base = node.get("name") or mesh_doc.get("name") or layer_name_for(path)
            label = (node.get("extras") or {}).get("label", base) if isinstance(node.get("extras"), dict) else base
            world.add_layer(Layer(world.unique_name(str(base)), label=str(label), gaussians=g, mesh=mesh))
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        if isinstance(exc, MarbleError):  # already one line (a FormatError, a BudgetError)
            raise
        raise FormatError(f"{name}: inconsistent glTF document ({type(exc).__name__}: {exc})") from exc
    if not world.layers:
        raise FormatError(f"{name}: GLB holds no triangle meshes or Gaussian splats")
    return world


def _decode_triangles(prim: dict, read: AccessorReader, doc: dict, binary: bytes, name: str) -> trimesh.Trimesh:
    from exporters.binary import require_finite

    attrs = prim["attributes"]
    verts = read(attrs["POSITION"]).reshape(-1, 3).astype(np.float64)
    if "indices" in prim:
        idx = read(prim["indices"], raw=True).reshape(-1).astype(np.int64)
    else:
        idx = np.arange(len(verts))
    if idx.size % 3:
        raise FormatError(f"{name}: triangle index count {idx.size} is not a multiple of 3")
    check_count(name, idx.size // 3, what="triangles")
    if idx.size and (idx.max() >= len(verts) or idx.min() < 0):
        raise FormatError(f"{name}: triangle indices point past the {len(verts)} vertices")
    require_finite(name, position=verts)
    faces = idx.reshape(-1, 3)
    visual = None
    if "TEXCOORD_0" in attrs and "material" in prim:
        mat = doc["materials"][prim["material"]]
        tex = (mat.get("pbrMetallicRoughness") or {}).get("baseColorTexture")
        if tex is not None:
            image = _read_image(doc, read, doc["textures"][tex["index"]]["source"], name)
            uv = read(attrs["TEXCOORD_0"]).reshape(-1, 2)
            uv = np.stack([uv[:, 0], 1.0 - uv[:, 1]], axis=1)
            visual = trimesh.visual.TextureVisuals(uv=uv, material=trimesh.visual.material.PBRMaterial(baseColorTexture=image))
    if visual is None and "COLOR_0" in attrs:
        c = read(attrs["COLOR_0"])
        rgb = linear_to_srgb(c[:, :3])
        a = c[:, 3:4] if c.shape[1] == 4 else np.ones((len(c), 1))
        visual = trimesh.visual.ColorVisuals(vertex_colors=np.round(np.concatenate([rgb, a], 1) * 255).astype(np.uint8))
    return trimesh.Trimesh(vertices=verts, faces=faces, visual=visual, process=False, validate=False)


def _read_image(doc: dict, read: AccessorReader, index: int, name: str) -> Image.Image:
    img = doc["images"][index]
    if "bufferView" not in img:
        raise FormatError(f"{name}: image {index} is not embedded in the GLB (external files are not read)")
    data = read.view_bytes(img["bufferView"])
    from marble.limits import env_var, limits

    try:
        im = Image.open(io.BytesIO(data))  # reads the header only
    except Exception as exc:  # PIL raises many types for corrupt images
        raise FormatError(f"{name}: embedded image {index} is unreadable ({exc})") from exc
    if im.width * im.height > limits().max_image_pixels:
        raise FormatError(f"{name}: embedded image {index} is {im.width}x{im.height}, over the limit "
                          f"({env_var('max_image_pixels')})")
    try:
        im.load()
    except Exception as exc:  # PIL raises many types for corrupt images
        raise FormatError(f"{name}: embedded image {index} is unreadable ({exc})") from exc
    return im


def read_glb_file(path: str | Path, **_options):
    """Import a ``.glb`` (meshes and KHR_gaussian_splatting splats) as a World."""
    return decode_glb(path, read_input_bytes(path))
