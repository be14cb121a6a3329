"""One model registry: resolve a hub id or a local folder to a checked local folder, then load it.

Rules (DESIGN.md, issue 5): weights in safetensors only, never ``trust_remote_code``, nothing
downloads unless the user allowed it (``MARBLE_ALLOW_DOWNLOAD=1`` and ``HF_HUB_OFFLINE`` unset),
``HF_HUB_OFFLINE`` and a cache folder are honoured. A model that is absent raises
:class:`~marble.errors.ModelUnavailableError` naming the id, where it looked and how to get it (the
caller may fall back to the embedded default); a folder of the wrong kind raises
:class:`~marble.errors.InputError` (a user mistake, never silently replaced).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from marble.errors import InputError, ModelUnavailableError

KINDS = ("text2image", "inpaint", "controlnet", "depth")

# Default public checkpoints (documented in the README, "Learned generation"); used only when the user asks for
# "default" in the CLI, never downloaded implicitly.
DEFAULT_MODELS = {
    "text2image": "stabilityai/sd-turbo",
    "inpaint": "stable-diffusion-v1-5/stable-diffusion-inpainting",
    "controlnet": "lllyasviel/control_v11f1p_sd15_depth",
    "controlnet_base": "stable-diffusion-v1-5/stable-diffusion-v1-5",
    "depth": "depth-anything/Depth-Anything-V2-Small-hf",
}

_SD_PIPELINES = {
    "StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline", "StableDiffusionInpaintPipeline",
    "StableDiffusionXLPipeline", "StableDiffusionXLImg2ImgPipeline", "StableDiffusionXLInpaintPipeline",
    "StableDiffusionControlNetPipeline", "StableDiffusionXLControlNetPipeline", "StableDiffusionDepth2ImgPipeline",
    "LatentConsistencyModelPipeline",
}
_CONTROLNETS = {"ControlNetModel", "ControlNetXSAdapter", "SD3ControlNetModel", "FluxControlNetModel"}
_DEPTH_MODEL_TYPES = {"depth_anything", "dpt", "glpn", "zoedepth", "depth_pro", "prompt_depth_anything"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


@dataclass(frozen=True)
class ResolvedModel:
    """A model found on disk.

    Attributes:
        name: what the user asked for (hub id or folder).
        kind: ``"text2image"``, ``"inpaint"``, ``"controlnet"`` or ``"depth"``.
        path: the local folder holding it.
        family: ``"diffusers"`` (a pipeline folder), ``"controlnet"`` (a model folder),
            ``"transformers"`` (a depth model) or ``"marigold"`` (a Marigold depth pipeline).
        class_name: the pipeline or model class recorded in the folder.
        source: ``"folder"`` (a path given by the user) or ``"cache"`` (a hub id found in the cache).
    """

    name: str
    kind: str
    path: Path
    family: str
    class_name: str
    source: str

    @property
    def label(self) -> str:
        """Short provenance label, e.g. ``"depth-anything/Depth-Anything-V2-Small-hf"`` or the folder name."""
        return self.name if self.source == "cache" else Path(self.name).name or str(self.path)


def downloads_allowed() -> bool:
    """True when the user opted in to downloads and the hub is not forced offline."""
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    return not offline and os.environ.get("MARBLE_ALLOW_DOWNLOAD", "").strip().lower() in ("1", "true", "yes", "on")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"model folder {str(path.parent)!r}: {path.name} is unreadable ({exc})") from exc


def _has_safetensors(folder: Path) -> bool:
    return any(folder.rglob("*.safetensors"))


def _check_safetensors(folder: Path, name: str) -> None:
    if not _has_safetensors(folder):
        pickled = [p.name for p in folder.rglob("*") if p.suffix in (".bin", ".pt", ".pth", ".ckpt", ".pkl")]
        why = f"it has only pickle weights ({', '.join(sorted(pickled)[:3])})" if pickled else "it has no weights"
        raise InputError(f"model `{name}` in {str(folder)!r}: {why}; Marble loads safetensors only "
                         "(convert with `save_pretrained(..., safe_serialization=True)`)")


def classify_folder(folder: Path) -> tuple[str, str]:
    """``(family, class_name)`` of a model folder, or ``("unknown", "")``."""
    index = folder / "model_index.json"
    if index.is_file():
        cls = str(_read_json(index).get("_class_name", ""))
        if cls == "MarigoldDepthPipeline":
            return "marigold", cls
        return "diffusers", cls
    cfg = folder / "config.json"
    if cfg.is_file():
        doc = _read_json(cfg)
        if doc.get("_class_name") in _CONTROLNETS:
            return "controlnet", str(doc["_class_name"])
        if doc.get("model_type") in _DEPTH_MODEL_TYPES:
            archs = doc.get("architectures") or [doc["model_type"]]
            return "transformers", str(archs[0])
        return "unknown", str(doc.get("_class_name") or doc.get("model_type") or "")
    return "unknown", ""


_ACCEPTS = {
    "text2image": {"diffusers"},
    "inpaint": {"diffusers"},
    "controlnet": {"controlnet"},
    "depth": {"transformers", "marigold"},
}
_WHAT = {
    "text2image": "a diffusers text-to-image pipeline folder (model_index.json), e.g. stabilityai/sd-turbo",
    "inpaint": "a diffusers inpainting pipeline folder (model_index.json)",
    "controlnet": "a ControlNetModel folder (config.json with _class_name ControlNetModel)",
    "depth": "a transformers depth-estimation folder (Depth Anything V2) or a MarigoldDepthPipeline folder",
}


def _check_kind(folder: Path, kind: str, name: str) -> tuple[str, str]:
    family, cls = classify_folder(folder)
    ok = family in _ACCEPTS[kind]
    if ok and family == "diffusers":
        ok = cls in _SD_PIPELINES or cls.startswith("StableDiffusion") or cls.endswith("Pipeline")
        if cls in ("MarigoldDepthPipeline",) or "ControlNet" in cls and kind == "inpaint":
            ok = False
    if not ok:
        found = f"{family} folder of class {cls!r}" if cls else "no model_index.json or config.json"
        raise InputError(f"model `{name}` is the wrong kind for {kind}: found {found}; expected {_WHAT[kind]}")
    _check_safetensors(folder, name)
    return family, cls


def resolve_model(name: str, *, kind: str, cache_dir: str | os.PathLike | None = None) -> ResolvedModel:
    """Find model ``name`` (a local folder or a hub id) for ``kind`` and check it.

    Args:
        name: a folder path, or a Hugging Face hub id looked up in the cache (``cache_dir``, else
            ``HF_HUB_CACHE``/``HF_HOME``). Downloads happen only when :func:`downloads_allowed`.
        kind: one of :data:`KINDS`.
        cache_dir: the Hugging Face cache folder to search.

    Raises:
        InputError: unknown kind, a folder of the wrong kind or without safetensors, a malformed name.
        ModelUnavailableError: not a folder and not in the cache (message says how to get it).
    """
    if kind not in KINDS:
        raise InputError(f"`kind` must be one of {', '.join(KINDS)}, got {kind!r}")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"model name for {kind} must be a non-empty hub id or folder")
    name = name.strip()
    p = Path(name).expanduser()
    if p.exists() or name.startswith(("/", ".", "~")):
        if not p.exists():
            raise ModelUnavailableError(f"model folder {name!r} for {kind} does not exist")
        if not p.is_dir():
            raise InputError(f"model `{name}` for {kind} must be a folder (save_pretrained output), not a file")
        family, cls = _check_kind(p, kind, name)
        return ResolvedModel(name, kind, p.resolve(), family, cls, "folder")
    if not _HUB_ID.match(name):
        raise InputError(f"model `{name}` is neither an existing folder nor a hub id like 'owner/name'")
    folder = _from_cache(name, kind=kind, cache_dir=cache_dir)
    family, cls = _check_kind(folder, kind, name)
    return ResolvedModel(name, kind, folder, family, cls, "cache")


def _from_cache(repo_id: str, *, kind: str, cache_dir) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.constants import HF_HUB_CACHE
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    where = str(cache_dir or HF_HUB_CACHE)
    patterns = ["*.json", "*.txt", "*.safetensors", "*.model", "*.yaml"]
    try:
        return Path(snapshot_download(repo_id, cache_dir=cache_dir, local_files_only=True, allow_patterns=patterns))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        pass
    if downloads_allowed():
        try:
            return Path(snapshot_download(repo_id, cache_dir=cache_dir, allow_patterns=patterns))
        except (HfHubHTTPError, OSError, ValueError) as exc:
            raise ModelUnavailableError(f"model `{repo_id}` ({kind}) could not be downloaded into {where}: {exc}") from exc
    raise ModelUnavailableError(
        f"model `{repo_id}` ({kind}) is not in the Hugging Face cache {where}; get it with "
        f"`huggingface-cli download {repo_id}` (or set MARBLE_ALLOW_DOWNLOAD=1), or pass a local folder"
    )


# ---------------------------------------------------------------------- loading
def _from_pretrained(cls, path: Path, name: str, *, weights: bool = True, **kwargs):
    """``cls.from_pretrained`` with the safety rules, turning load failures into clear errors."""
    if weights:
        kwargs["use_safetensors"] = True
    try:
        return cls.from_pretrained(str(path), **kwargs)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError) as exc:
        first = " ".join(str(exc).split())[:300]
        raise InputError(f"model `{name}` could not be loaded as {cls.__name__}: {first}") from exc


def load_text2image(resolved: ResolvedModel, *, torch_dtype=None):
    """A diffusers text-to-image pipeline (``AutoPipelineForText2Image``) on CPU."""
    from diffusers import AutoPipelineForText2Image

    kwargs = {"torch_dtype": torch_dtype} if torch_dtype is not None else {}
    return _from_pretrained(AutoPipelineForText2Image, resolved.path, resolved.name, safety_checker=None,
                            requires_safety_checker=False, **kwargs) if _sd1(resolved) else \
        _from_pretrained(AutoPipelineForText2Image, resolved.path, resolved.name, **kwargs)


def load_inpaint(resolved: ResolvedModel, *, torch_dtype=None):
    """A diffusers inpainting pipeline (``AutoPipelineForInpainting``) on CPU."""
    from diffusers import AutoPipelineForInpainting

    kwargs = {"torch_dtype": torch_dtype} if torch_dtype is not None else {}
    if _sd1(resolved):
        kwargs.update(safety_checker=None, requires_safety_checker=False)
    return _from_pretrained(AutoPipelineForInpainting, resolved.path, resolved.name, **kwargs)


def load_controlnet(resolved: ResolvedModel, *, torch_dtype=None):
    """A ``ControlNetModel`` on CPU."""
    from diffusers import ControlNetModel

    kwargs = {"torch_dtype": torch_dtype} if torch_dtype is not None else {}
    return _from_pretrained(ControlNetModel, resolved.path, resolved.name, **kwargs)


def load_depth(resolved: ResolvedModel, *, torch_dtype=None):
    """``(model, processor)`` for a transformers depth model, or ``(MarigoldDepthPipeline, None)``."""
    if resolved.family == "marigold":
        from diffusers import MarigoldDepthPipeline

        kwargs = {"torch_dtype": torch_dtype} if torch_dtype is not None else {}
        return _from_pretrained(MarigoldDepthPipeline, resolved.path, resolved.name, **kwargs), None
    from transformers import AutoImageProcessor, AutoModelForDepthEstimation

    kwargs = {"dtype": torch_dtype} if torch_dtype is not None else {}
    model = _from_pretrained(AutoModelForDepthEstimation, resolved.path, resolved.name, trust_remote_code=False, **kwargs)
    processor = None
    if (resolved.path / "preprocessor_config.json").is_file():
        processor = _from_pretrained(AutoImageProcessor, resolved.path, resolved.name, weights=False,
                                     trust_remote_code=False)
    return model.eval(), processor


def _sd1(resolved: ResolvedModel) -> bool:
    """Pipelines that take a ``safety_checker`` argument (SD 1.x/2.x)."""
    return resolved.class_name in ("StableDiffusionPipeline", "StableDiffusionInpaintPipeline",
                                   "StableDiffusionImg2ImgPipeline", "StableDiffusionControlNetPipeline")
