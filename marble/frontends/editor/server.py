"""HTTP routes of the editor's viewport, added to the Gradio app's FastAPI server.

- ``/marble/web/<file>``: the viewport's own JavaScript and CSS (this package's ``web/`` folder);
- ``/marble/web/vendor/three/<file>``: three.js from the installed ``node_modules`` (``npm ci``),
  with its bare ``'three'`` imports rewritten to relative URLs, so nothing comes from a CDN and no
  import map is needed;
- ``/marble/session/<token>/...``: a session's manifest, layer buffers and selection masks. The
  token is random and private to the tab that holds the session.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

WEB_DIR = Path(__file__).with_name("web")
THREE_DIRS = ("build", "examples/jsm")
_BARE_THREE = re.compile(r"""(from\s+|import\s*\(\s*|import\s+)(['"])three(/addons/)?""")


def node_modules() -> Path | None:
    """Where ``three`` is installed: ``$MARBLE_NODE_MODULES``, the repository's or the working folder's ``node_modules``."""
    candidates = [os.environ.get("MARBLE_NODE_MODULES"), Path(__file__).resolve().parents[3] / "node_modules",
                  Path.cwd() / "node_modules"]
    for c in candidates:
        if c and (Path(c) / "three" / "build" / "three.module.js").is_file():
            return Path(c)
    return None


def viewport_available() -> bool:
    """True when three.js is installed, so the 3D viewport can run."""
    return node_modules() is not None


def rewrite_three_imports(source: str, rel_path: str) -> str:
    """Point a three.js module's bare ``'three'`` / ``'three/addons/...'`` imports at relative URLs.

    Args:
        source: the module's text.
        rel_path: its path under ``three/`` (e.g. ``examples/jsm/controls/OrbitControls.js``).
    """
    up = "../" * rel_path.count("/") or "./"

    def sub(m: re.Match) -> str:
        target = f"{up}examples/jsm/" if m.group(3) else f"{up}build/three.module.js"
        return f"{m.group(1)}{m.group(2)}{target}"

    return _BARE_THREE.sub(sub, source)


def _inside(base: Path, rel: str) -> Path | None:
    p = (base / rel).resolve()
    try:
        p.relative_to(base.resolve())
    except ValueError:
        return None
    return p if p.is_file() else None


def install_routes(app) -> None:
    """Add the viewport's routes to a FastAPI ``app`` (the one ``gr.Blocks.launch`` created)."""
    from fastapi import HTTPException
    from fastapi.responses import JSONResponse, Response

    from marble.errors import MarbleError
    from marble.frontends.editor.viewport import session_for

    types = {".js": "text/javascript", ".css": "text/css", ".json": "application/json"}

    @app.get("/marble/web/vendor/three/{path:path}")
    def three_file(path: str):
        base = node_modules()
        if base is None or not path.startswith(THREE_DIRS) or not path.endswith(".js"):
            raise HTTPException(404, "three.js is not installed: run `npm ci` in the Marble folder")
        p = _inside(base / "three", path)
        if p is None:
            raise HTTPException(404, "no such file")
        text = rewrite_three_imports(p.read_text(encoding="utf-8"), path)
        return Response(text, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/marble/web/{path:path}")
    def web_file(path: str):
        p = _inside(WEB_DIR, path)
        if p is None:
            raise HTTPException(404, "no such file")
        return Response(p.read_bytes(), media_type=types.get(p.suffix, "application/octet-stream"),
                        headers={"Cache-Control": "no-cache"})

    def _session(token: str):
        s = session_for(token)
        if s is None:
            raise HTTPException(404, "this editor session has ended: reload the page")
        return s

    @app.get("/marble/session/{token}/manifest")
    def manifest(token: str):
        return JSONResponse(_session(token).manifest(), headers={"Cache-Control": "no-store"})

    @app.get("/marble/session/{token}/layer/{name}/{kind}")
    def layer(token: str, name: str, kind: str):
        if kind not in ("splats", "mesh"):
            raise HTTPException(404, "kind must be splats or mesh")
        try:
            data = _session(token).layer_buffer(name, kind)
        except MarbleError as exc:
            raise HTTPException(404, str(exc)) from None
        return Response(data, media_type="application/octet-stream",
                        headers={"Cache-Control": "private, max-age=3600"})  # the URL carries the buffer's key

    @app.get("/marble/session/{token}/selection")
    def selection(token: str):
        try:
            data = _session(token).selection_bytes()
        except MarbleError as exc:
            raise HTTPException(404, str(exc)) from None
        return Response(data, media_type="application/octet-stream", headers={"Cache-Control": "no-store"})

    @app.get("/marble/viewport-status")
    def status():
        return JSONResponse({"three": viewport_available()})

