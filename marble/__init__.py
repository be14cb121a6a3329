"""Marble: text, image or blockout to an editable 3D world of Gaussian splats and meshes.

The core library: it never imports ``pipelines`` or ``exporters``, except through
:mod:`marble.api` (the public entry points :func:`generate`, ``export`` and ``import_file``) and
:mod:`marble.frontends` (the CLI, batch runner, editor session and output writer).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from marble.errors import BudgetError, FormatError, InputError, MarbleError
from marble.startup import defer_unused_imports

defer_unused_imports()  # open3d's plotly/dash drawing loads only if used (0.2 s of every start)

__version__ = "0.1.0"

__all__ = [
    "BudgetError", "Camera", "Environment", "FormatError", "Gaussians", "InputError", "Layer", "Layout",
    "LayoutObject", "MarbleError", "PRESETS", "Preset", "Provenance", "SceneSpec", "View", "World",
    "generate", "get_preset", "__version__",
]

# The core types load on first use (PEP 562), so `import marble` and the CLI's start do not pay for
# torch before a command runs (and Ctrl-C during that import is handled like any other).
_LAZY = {
    "Camera": "marble.camera", "Gaussians": "marble.gaussians", "Layout": "marble.layout",
    "LayoutObject": "marble.layout", "SceneSpec": "marble.layout", "PRESETS": "marble.presets",
    "Preset": "marble.presets", "get_preset": "marble.presets", "View": "marble.view",
    "Environment": "marble.world", "Layer": "marble.world", "Provenance": "marble.world", "World": "marble.world",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'marble' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:
    from marble.camera import Camera
    from marble.gaussians import Gaussians
    from marble.layout import Layout, LayoutObject, SceneSpec
    from marble.presets import PRESETS, Preset, get_preset
    from marble.view import View
    from marble.world import Environment, Layer, Provenance, World


def generate(prompt: str | None = None, *, seed: int = 0, preset: str = "standard", **options) -> World:
    """Make a world from a text prompt (or ``image=`` / ``layout=``) on the best available backend.

    Args:
        prompt: what to make, e.g. ``"a cabin in a snowy pine forest at sunset"``.
        seed: the same prompt, seed and preset give the same world, bit for bit on CPU.
        preset: ``"draft"``, ``"standard"`` or ``"high"``.
        **options: see :func:`marble.api.generate` (``image=``, ``layout=``, ``models=``, ``device=``,
            ``refine_steps=``, ``measure_fidelity=``, ``progress=``).

    Returns:
        The generated :class:`World`.
    """
    from marble.api import generate as _generate  # lazy: keeps `import marble` light

    return _generate(prompt, seed=seed, preset=preset, **options)
