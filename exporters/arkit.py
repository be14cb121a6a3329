"""The ARKit / AR Quick Look package rules for ``.usdz`` (what Apple's usdzconverter checks).

usd-core 26 dropped the Python ``ComplianceChecker``; its ARKit rules are re-stated here and run
after every ``visionpro`` USDZ is written (and by the tests), on top of usd-core's own
``UsdValidation`` validators:

- the package is a valid, uncompressed, 64-byte-aligned zip whose first file is a ``.usdc``;
- it holds only ``.usdc``/``.usd``/``.usda`` layers and ``.png``/``.jpg``/``.jpeg`` images;
- every prim type is one AR Quick Look renders (no volumes, no particle fields, no lights);
- shaders are only ``UsdPreviewSurface``, ``UsdUVTexture``, ``UsdPrimvarReader_float2`` and
  ``UsdTransform2d``; every texture they name is inside the package; the stage has a default prim
  and upAxis ``Y``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

ALLOWED_PRIM_TYPES = {
    "", "Scope", "Xform", "Camera", "Shader", "Material", "Mesh", "Sphere", "Cube", "Cylinder", "Cone",
    "Capsule", "GeomSubset", "Points", "SkelRoot", "Skeleton", "SkelAnimation", "BlendShape", "SpatialAudio",
}
ALLOWED_SHADERS = {"UsdPreviewSurface", "UsdUVTexture", "UsdPrimvarReader_float2", "UsdTransform2d"}
ALLOWED_FILES = (".usdc", ".usd", ".usda", ".png", ".jpg", ".jpeg")


def arkit_issues(path: str | Path) -> list[str]:
    """Every ARKit rule ``path`` breaks, as one-line messages (empty when it complies)."""
    from pxr import Usd, UsdGeom, UsdShade

    issues: list[str] = []
    p = Path(path)
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if not infos:
                return [f"{p.name}: empty package"]
            if not infos[0].filename.lower().endswith(".usdc"):
                issues.append(f"first file {infos[0].filename!r} is not a .usdc layer")
            with open(p, "rb") as fh:
                for info in infos:
                    if info.compress_type != zipfile.ZIP_STORED:
                        issues.append(f"{info.filename} is compressed")
                    if not info.filename.lower().endswith(ALLOWED_FILES):
                        issues.append(f"{info.filename} has a file type ARKit does not read")
                    fh.seek(info.header_offset + 26)
                    n, m = int.from_bytes(fh.read(2), "little"), int.from_bytes(fh.read(2), "little")
                    if (info.header_offset + 30 + n + m) % 64:
                        issues.append(f"{info.filename} is not 64-byte aligned")
    except zipfile.BadZipFile:
        return [f"{p.name}: not a zip package"]
    stage = Usd.Stage.Open(str(p))
    if stage is None:
        return issues + [f"{p.name}: usd-core cannot open the stage"]
    if not stage.GetDefaultPrim():
        issues.append("the stage has no default prim")
    if UsdGeom.GetStageUpAxis(stage) != UsdGeom.Tokens.y:
        issues.append("upAxis is not Y")
    for prim in stage.Traverse():
        t = str(prim.GetTypeName())
        if t not in ALLOWED_PRIM_TYPES:
            issues.append(f"prim {prim.GetPath()} has type {t}, which AR Quick Look does not render")
        if prim.IsA(UsdShade.Shader):
            sid = UsdShade.Shader(prim).GetIdAttr().Get()
            if sid not in ALLOWED_SHADERS:
                issues.append(f"shader {prim.GetPath()} has id {sid}, which ARKit does not support")
            file_attr = prim.GetAttribute("inputs:file")
            asset = file_attr.Get() if file_attr else None
            if asset is not None and asset.path and asset.path not in names:
                issues.append(f"texture {asset.path!r} of {prim.GetPath()} is not inside the package")
    return issues
