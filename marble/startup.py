"""Process start-up: defer the imports Marble's libraries make but Marble never uses.

``open3d.visualization`` imports ``draw_plotly``, which imports ``plotly`` and ``dash`` (with IPython,
requests and werkzeug: 0.2 s of every start) though no Marble path draws with plotly. Its three public
functions are put in place as thin functions that load the real module when one is called.
(``networkx``, which trimesh imports, is left alone: torch touches it at import anyway.)

:func:`defer_unused_imports` is called by ``import marble``; it changes no result, only when code runs.
"""

from __future__ import annotations

import importlib.util
import sys
import types

_PLOTLY_MODULE = "open3d.visualization.draw_plotly"
_PLOTLY_FUNCTIONS = ("get_plotly_fig", "draw_plotly", "draw_plotly_server")


def _real_plotly_module() -> types.ModuleType:
    """Execute open3d's ``draw_plotly`` for real (the first time one of its functions is called)."""
    stub = sys.modules[_PLOTLY_MODULE]
    real = getattr(stub, "_real", None)
    if real is None:
        spec = stub._spec
        real = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(real)
        stub._real = real
    return real


def _deferred_function(name: str):
    def call(*args, **kwargs):
        return getattr(_real_plotly_module(), name)(*args, **kwargs)

    call.__name__ = name
    call.__doc__ = f"open3d.visualization.{name}, loaded on first use (see marble.startup)."
    return call


def _defer_open3d_plotly() -> None:
    if _PLOTLY_MODULE in sys.modules or "open3d" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec("open3d")
    except (ImportError, ValueError):
        return
    if spec is None or not spec.submodule_search_locations:
        return
    from importlib.machinery import PathFinder

    vis = PathFinder.find_spec("open3d.visualization", list(spec.submodule_search_locations))
    if vis is None or not vis.submodule_search_locations:
        return
    real_spec = PathFinder.find_spec(_PLOTLY_MODULE, list(vis.submodule_search_locations))
    if real_spec is None or real_spec.loader is None:
        return
    stub = types.ModuleType(_PLOTLY_MODULE, "open3d's plotly drawing, loaded when first called")
    stub._spec = real_spec
    stub.__file__ = real_spec.origin
    for name in _PLOTLY_FUNCTIONS:
        setattr(stub, name, _deferred_function(name))
    sys.modules[_PLOTLY_MODULE] = stub


def defer_unused_imports() -> None:
    """Defer open3d's plotly/dash drawing until something uses it (idempotent)."""
    _defer_open3d_plotly()
