"""``.usd`` / ``.usda`` / ``.usdc`` / ``.usdz``: an OpenUSD stage of the world.

Stage metadata: ``upAxis = "Y"``, ``metersPerUnit = 1``, ``defaultPrim = /World``. Each layer
is an ``Xform`` under ``/World`` named after the layer; its mesh is a ``Mesh`` bound to a
``UsdPreviewSurface`` material (vertex colours through a ``displayColor`` primvar reader, or a
baked PNG texture through ``UsdUVTexture``), and its splats a
``UsdVol.ParticleField3DGaussianSplat`` (positions, orientations, linear scales, opacities,
SH coefficients, and a per-particle linear ``displayColor``/``displayOpacity`` for viewers that draw
it as points). ``.usdz`` is packaged with ``UsdUtils.CreateNewUsdzPackage``, or with
``CreateNewARKitUsdzPackage`` for the ``visionpro`` profile (meshes and PNG textures only).
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

import numpy as np
import trimesh

from exporters.registry import USD_EXTENSIONS
from exporters.scene import ExportOptions, ExportScene, LayerData, limit_sh, to_numpy
from marble.color import srgb_to_linear
from marble.errors import InputError
from marble.gaussians import SH_C0
from marble.io import atomic_path

EXTENSIONS = USD_EXTENSIONS


def _identifier(name: str, used: set[str]) -> str:
    from pxr import Tf

    base = Tf.MakeValidIdentifier(name) or "layer"
    out, i = base, 2
    while out in used:
        out, i = f"{base}_{i}", i + 1
    used.add(out)
    return out


def _material(stage, path: str, *, texture: str | None, vertex_color: bool):
    from pxr import Sdf, UsdShade

    mat = UsdShade.Material.Define(stage, path)
    shader = UsdShade.Shader.Define(stage, path + "/PreviewSurface")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(0.9)
    shader.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(0.0)
    diffuse = shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f)
    mat.CreateSurfaceOutput().ConnectToSource(shader.ConnectableAPI(), "surface")
    if texture is not None:
        st = UsdShade.Shader.Define(stage, path + "/stReader")
        st.CreateIdAttr("UsdPrimvarReader_float2")
        st.CreateInput("varname", Sdf.ValueTypeNames.String).Set("st")
        st.CreateOutput("result", Sdf.ValueTypeNames.Float2)
        tex = UsdShade.Shader.Define(stage, path + "/diffuseTexture")
        tex.CreateIdAttr("UsdUVTexture")
        tex.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(texture)
        tex.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set("sRGB")
        tex.CreateInput("wrapS", Sdf.ValueTypeNames.Token).Set("clamp")
        tex.CreateInput("wrapT", Sdf.ValueTypeNames.Token).Set("clamp")
        tex.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(st.ConnectableAPI(), "result")
        tex.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
        diffuse.ConnectToSource(tex.ConnectableAPI(), "rgb")
    elif vertex_color:
        reader = UsdShade.Shader.Define(stage, path + "/displayColorReader")
        reader.CreateIdAttr("UsdPrimvarReader_float3")
        reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set("displayColor")
        reader.CreateOutput("result", Sdf.ValueTypeNames.Float3)
        diffuse.ConnectToSource(reader.ConnectableAPI(), "result")
    else:
        diffuse.Set((0.8, 0.8, 0.8))
    return mat


def _add_mesh(stage, prim_path: str, mesh: trimesh.Trimesh, material_path: str, tex_dir: Path, tex_name: str):
    from pxr import Gf, UsdGeom, UsdShade, Vt

    m = UsdGeom.Mesh.Define(stage, prim_path)
    verts = np.asarray(mesh.vertices, dtype=np.float32)
    faces = np.asarray(mesh.faces, dtype=np.int32)
    m.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(verts))
    m.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(faces), 3, np.int32)))
    m.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(faces.reshape(-1)))
    m.CreateSubdivisionSchemeAttr("none")
    m.CreateDoubleSidedAttr(True)
    lo, hi = verts.min(axis=0), verts.max(axis=0)
    m.CreateExtentAttr([Gf.Vec3f(*map(float, lo)), Gf.Vec3f(*map(float, hi))])
    n = np.asarray(mesh.vertex_normals, dtype=np.float32)
    m.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(np.nan_to_num(n)))
    m.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    texture = None
    vertex_color = False
    vis = mesh.visual
    pv = UsdGeom.PrimvarsAPI(m)
    if isinstance(vis, trimesh.visual.TextureVisuals) and vis.uv is not None:
        image = getattr(vis.material, "baseColorTexture", None) or getattr(vis.material, "image", None)
        if image is not None:
            tex_dir.mkdir(parents=True, exist_ok=True)
            (tex_dir / tex_name).write_bytes(_png(image))
            texture = f"textures/{tex_name}"
            st = pv.CreatePrimvar("st", _types().TexCoord2fArray, UsdGeom.Tokens.vertex)
            st.Set(Vt.Vec2fArray.FromNumpy(np.asarray(vis.uv, dtype=np.float32)))
    elif isinstance(vis, trimesh.visual.ColorVisuals) and vis.kind in ("vertex", "face"):
        c = np.asarray(vis.vertex_colors)[:, :3].astype(np.float64) / 255.0
        m.CreateDisplayColorPrimvar(UsdGeom.Tokens.vertex).Set(Vt.Vec3fArray.FromNumpy(srgb_to_linear(c).astype(np.float32)))
        vertex_color = True
    mat = _material(stage, material_path, texture=texture, vertex_color=vertex_color)
    UsdShade.MaterialBindingAPI.Apply(m.GetPrim()).Bind(mat)


def _types():
    from pxr import Sdf

    return Sdf.ValueTypeNames


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG")
    return buf.getvalue()


def _add_splats(stage, prim_path: str, layer: LayerData, options: ExportOptions):
    from pxr import Gf, UsdGeom, UsdVol, Vt

    g = layer.gaussians
    a = to_numpy(g)
    p = UsdVol.ParticleField3DGaussianSplat.Define(stage, prim_path)
    p.CreatePositionsAttr(Vt.Vec3fArray.FromNumpy(a["means"]))
    # quatf is (real, imaginary): wxyz, like Marble
    p.CreateOrientationsAttr(Vt.QuatfArray([Gf.Quatf(float(q[0]), float(q[1]), float(q[2]), float(q[3])) for q in a["quats"]]))
    p.CreateScalesAttr(Vt.Vec3fArray.FromNumpy(np.exp(a["log_scales"]).astype(np.float32)))
    opacity = (1.0 / (1.0 + np.exp(-a["opacity_logits"].astype(np.float64)))).astype(np.float32)
    p.CreateOpacitiesAttr(Vt.FloatArray.FromNumpy(opacity))
    rest = limit_sh(g, options.sh_degree)
    degree = 0 if rest is None else {3: 1, 8: 2, 15: 3}[rest.shape[1]]
    coeffs = a["sh0"][:, None, :] if rest is None else np.concatenate([a["sh0"][:, None, :], rest], axis=1)
    p.CreateRadianceSphericalHarmonicsDegreeAttr(degree)
    p.CreateRadianceSphericalHarmonicsCoefficientsAttr(Vt.Vec3fArray.FromNumpy(coeffs.reshape(-1, 3).astype(np.float32)))
    p.CreateProjectionModeHintAttr("perspective")
    p.CreateSortingModeHintAttr("cameraDistance")
    lo = a["means"] - 3 * np.exp(a["log_scales"]).max(axis=1, keepdims=True)
    hi = a["means"] + 3 * np.exp(a["log_scales"]).max(axis=1, keepdims=True)
    p.CreateExtentAttr([Gf.Vec3f(*map(float, lo.min(axis=0))), Gf.Vec3f(*map(float, hi.max(axis=0)))])
    # The point-cloud fallback: one linear colour and opacity per particle, "vertex" interpolation as for
    # UsdGeomPoints (the ParticleField schema defines no interpolation of its own; usd-core's validators
    # accept this, and a "constant" primvar must hold exactly one value).
    rgb = np.clip(a["sh0"] * SH_C0 + 0.5, 0, 1)
    p.CreateDisplayColorPrimvar(UsdGeom.Tokens.vertex).Set(Vt.Vec3fArray.FromNumpy(srgb_to_linear(rgb).astype(np.float32)))
    p.CreateDisplayOpacityPrimvar(UsdGeom.Tokens.vertex).Set(Vt.FloatArray.FromNumpy(opacity))


def build_stage(
    scene: ExportScene, usd_path: Path, options: ExportOptions, *, arkit: bool = False, textures: bool = True
) -> None:
    """Write the stage to ``usd_path`` (textures under ``usd_path.parent / "textures"``).

    Args:
        textures: keep texture maps; when ``False`` (single-file ``.usd``/``.usda``/``.usdc``)
            textured meshes are written with the texture sampled at their vertices instead.
    """
    from pxr import Kind, Usd, UsdGeom

    from exporters.textures import bake_vertex_colors, maybe_bake, texture_limit

    stage = Usd.Stage.CreateNew(str(usd_path))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    root = UsdGeom.Xform.Define(stage, "/World")
    stage.SetDefaultPrim(root.GetPrim())
    Usd.ModelAPI(root.GetPrim()).SetKind(Kind.Tokens.component if arkit else Kind.Tokens.assembly)
    used: set[str] = {"Looks"}
    tex_dir = usd_path.parent / "textures"
    for layer in scene.layers:
        ident = _identifier(layer.name, used)
        xf = UsdGeom.Xform.Define(stage, f"/World/{ident}")
        xf.GetPrim().SetCustomDataByKey("marble:layer", layer.name)
        xf.GetPrim().SetCustomDataByKey("marble:label", layer.label)
        if layer.mesh is not None and options.meshes:
            # ARKit allows only UsdPreviewSurface/UsdUVTexture/UsdPrimvarReader_float2: always bake there.
            mesh = bake_vertex_colors(layer.mesh, size=texture_limit(options, scene, layer.mesh)) if arkit else maybe_bake(
                layer.mesh, options, scene)
            if not textures and isinstance(mesh.visual, trimesh.visual.TextureVisuals):
                mesh = mesh.copy()
                mesh.visual = mesh.visual.to_color()  # one file: no loose texture files beside it
            _add_mesh(stage, f"/World/{ident}/mesh", mesh, f"/World/Looks/{ident}_mat", tex_dir, f"{ident}.png")
        if layer.gaussians is not None and options.splats and not arkit:
            _add_splats(stage, f"/World/{ident}/splats", layer, options)
    stage.GetRootLayer().Save()


def fix_zip_times(path: Path) -> None:
    """Set every entry's timestamp in a stored zip (USDZ) to 1980-01-01 00:00, in place, so the
    same world gives the same bytes (usd-core's packager stamps the current time)."""
    import struct
    import zipfile

    with zipfile.ZipFile(path) as zf:
        offsets = [info.header_offset for info in zf.infolist()]
        start_dir = zf.start_dir
        count = len(offsets)
    dos_date = (0 << 9) | (1 << 5) | 1  # 1980-01-01
    with open(path, "r+b") as fh:
        for off in offsets:
            fh.seek(off)
            if struct.unpack("<I", fh.read(4))[0] != 0x04034B50:
                raise ValueError(f"{path.name}: unexpected zip local header")
            fh.seek(off + 10)
            fh.write(struct.pack("<HH", 0, dos_date))
        pos = start_dir
        for _ in range(count):
            fh.seek(pos)
            head = fh.read(46)
            if struct.unpack_from("<I", head)[0] != 0x02014B50:
                raise ValueError(f"{path.name}: unexpected zip central header")
            n, m, k = struct.unpack_from("<HHH", head, 28)
            fh.seek(pos + 12)
            fh.write(struct.pack("<HH", 0, dos_date))
            pos += 46 + n + m + k


def write_usd(scene: ExportScene, path: Path, options: ExportOptions) -> list[Path]:
    """Write a USD stage (or a USDZ package) to ``path`` atomically."""
    from pxr import UsdUtils

    ext = next(e for e in EXTENSIONS if path.name.lower().endswith(e))
    arkit = ext == ".usdz" and (scene.manifest.get("budget") or {}).get("usdz_arkit", False)
    if ext != ".usdz" and any(layer.mesh is not None for layer in scene.layers) and options.bake_textures:
        raise InputError("`bake_textures` with .usd/.usda/.usdc would write loose texture files; export .usdz instead")
    with tempfile.TemporaryDirectory(prefix="marble-usd-") as tmp:
        inner = Path(tmp) / ("world.usdc" if ext in (".usdz", ".usd") else "world" + ext)
        build_stage(scene, inner, options, arkit=arkit, textures=ext == ".usdz")
        with atomic_path(path) as out:
            out.unlink(missing_ok=True)
            if ext == ".usdz":
                ok = (UsdUtils.CreateNewARKitUsdzPackage if arkit else UsdUtils.CreateNewUsdzPackage)(str(inner), str(out))
                if not ok or not out.exists():
                    raise InputError(f"{path.name}: usd-core could not package the USDZ")
                fix_zip_times(out)
                if arkit:
                    from exporters.arkit import arkit_issues

                    issues = arkit_issues(out)
                    if issues:
                        raise InputError(f"{path.name}: the USDZ breaks ARKit rules: {'; '.join(issues[:3])}")
            else:
                shutil.copyfile(inner, out)
    return [Path(path)]
