"""Marble's exports in the viewers people open them in, in a real browser (playwright driving Debian's
Chromium with software GL, SwiftShader): three.js r187's own ``KHR_gaussian_splatting`` loader for the
GLB, Spark 2.2 (World Labs' three.js splat renderer) for the SPZ and the PLY.

Each viewer renders an asymmetric scene (a red pillar on the left, a blue cube on the right, a
yellow bar high at the back, a ground with a view-dependent SH tint) from a world camera; the
pixels are read back and compared with Marble's own render at the same camera. The viewer must
match it (PSNR >= 30 dB) and must not match the scene turned upside down (a PLY shown without its
half turn about X), mirrored, or turned about +Y (PlayCanvas' convention for PLY).

The page, the viewer modules (``scripts/view_khr_three.mjs``, ``scripts/view_spark.mjs``) and the
npm packages (``node_modules``, from ``npm ci``) are served from 127.0.0.1 by a server the test
starts; import maps point into ``node_modules``; no request may leave the machine. Images of each
comparison land in ``test-artifacts/viewers_*.png``.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from exporters import export
from marble.camera import Camera
from marble.color import psnr
from marble.gaussians import Gaussians
from marble.render import render
from marble.world import Layer, World
from tests.support import REPO

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ARTIFACTS = REPO / "test-artifacts"
W, H = 256, 160
IMPORTS = {
    "three": "/node_modules/three/build/three.module.js",
    "three/webgpu": "/node_modules/three/build/three.webgpu.js",
    "three/tsl": "/node_modules/three/build/three.tsl.js",
    "three/addons/": "/node_modules/three/examples/jsm/",
    "@sparkjsdev/spark": "/node_modules/@sparkjsdev/spark/dist/spark.module.js",
}
MIN_DB, WRONG_MAX_DB = 30.0, 20.0

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _scene() -> Gaussians:
    """~3900 splats: ground (flat disks), red pillar (left, back), blue cube (right, front), yellow
    bar (high, back); SH band 1 tints red towards +x views and blue towards +y views."""
    rng = np.random.default_rng(0)
    parts = [((0, -0.05, 0), (4, 0.02, 4), 2500, (0.45, 0.45, 0.4)),
             ((-1.2, 0.6, -0.5), (0.3, 1.2, 0.3), 500, (0.85, 0.1, 0.1)),
             ((0.9, 0.3, 0.6), (0.6, 0.6, 0.6), 500, (0.1, 0.3, 0.9)),
             ((0.0, 1.3, -1.2), (1.6, 0.25, 0.2), 400, (0.95, 0.85, 0.1))]
    pts, cols = [], []
    for center, size, n, color in parts:
        pts.append(np.asarray(center) + rng.uniform(-0.5, 0.5, (n, 3)) * np.asarray(size))
        cols.append(np.clip(np.asarray(color) + rng.normal(0, 0.03, (n, 3)), 0, 1))
    pts = np.concatenate(pts).astype(np.float32)
    scales = np.full((len(pts), 3), 0.04, np.float32)
    scales[:2500] = (0.07, 0.02, 0.07)
    g = Gaussians.from_points(torch.from_numpy(pts), torch.from_numpy(np.concatenate(cols).astype(np.float32)),
                              scales=torch.from_numpy(scales), opacity=0.9)
    sh = torch.zeros(len(pts), 3, 3)
    sh[:, 2, 0] = 0.5  # band 1, x basis, red
    sh[:, 0, 2] = -0.4  # band 1, y basis, blue
    g.shN = sh
    return g.validate()


def _camera() -> Camera:
    return Camera.look_at((2.2, 1.6, 3.4), (0.0, 0.4, 0.0), fov_y_deg=50, width=W, height=H)


def _turned(g: Gaussians, R) -> Gaussians:
    T = torch.eye(4, dtype=torch.float64)
    T[:3, :3] = torch.as_tensor(R, dtype=torch.float64)
    return g.transform(T)


def _mirrored(g: Gaussians) -> Gaussians:
    from exporters.axes import change_frame
    from exporters.scene import gaussians_from_numpy, to_numpy

    a = to_numpy(g)
    m, q, sh = change_frame(a["means"], a["quats"], g.shN.numpy(), np.diag([-1.0, 1.0, 1.0]))
    return gaussians_from_numpy(m, q, a["log_scales"], a["opacity_logits"], a["sh0"], sh)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    d = tmp_path_factory.mktemp("viewers")
    g = _scene()
    world = World([Layer("things", gaussians=g)])
    files = {
        "glb": export(world, d / "world.glb")[0],
        "spz": export(world, d / "world.spz", spz_version=3)[0],
        "spz4": export(world, d / "world.v4.spz")[0],
        "ply": export(world, d / "world.ply")[0],
    }
    cam = _camera()
    refs = {
        "marble": render(g, [cam]).colors[0].numpy(),
        "upside down": render(_turned(g, np.diag([1.0, -1.0, -1.0])), [cam]).colors[0].numpy(),
        "mirrored": render(_mirrored(g), [cam]).colors[0].numpy(),
        "turned about y": render(_turned(g, np.diag([-1.0, 1.0, -1.0])), [cam]).colors[0].numpy(),
    }
    return d, files, cam, refs


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves /node_modules/ and /scripts/ from the repository, everything else from the test's folder."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm"}

    def __init__(self, *args, files_dir: Path, **kwargs):
        self.files_dir = files_dir
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, root in (("/node_modules/", REPO / "node_modules"), ("/scripts/", REPO / "scripts")):
            if path.startswith(prefix):
                return str(root / path[len(prefix):])
        return str(self.files_dir / path.lstrip("/"))

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def server(scene):
    assert Path(CHROMIUM).exists(), "the browser test needs Debian's chromium (apt-get install chromium)"
    for pkg in ("three/build/three.webgpu.js", "@sparkjsdev/spark/dist/spark.module.js"):
        assert (REPO / "node_modules" / pkg).exists(), "run `npm ci` at the repository root first"
    d = scene[0]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, files_dir=d))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", d
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _camera_args(cam: Camera) -> dict:
    pose = cam.T_world_camera_gl().numpy().T.reshape(-1).tolist()  # column-major, as three.js's Matrix4.fromArray
    return {"pose": pose, "fovY": cam.fov_y_deg, "width": cam.width, "height": cam.height}


def _view(browser, server, module: str, args: dict, name: str) -> tuple[dict, np.ndarray | None]:
    """Open a page that imports ``scripts/<module>`` and calls ``render(args)``; returns the
    module's result and the canvas pixels (``[H, W, 3]`` in [0, 1]) read back from the page."""
    url, d = server
    page_html = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<style>html,body{margin:0;background:#000}canvas{display:block}</style>"
        f"<script type='importmap'>{json.dumps({'imports': IMPORTS})}</script></head><body>"
        f"<script type='module'>import {{ render }} from '/scripts/{module}';"
        f"render({json.dumps(args)}).then(r => {{ window.__result = r; }},"
        " e => { window.__result = { error: String(e && e.message || e) }; });</script></body></html>"
    )
    (d / f"{name}.html").write_text(page_html)
    page = browser.new_page(viewport={"width": args["width"], "height": args["height"]}, device_scale_factor=1)
    outside, errors = [], []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((url, "data:", "blob:")) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{url}/{name}.html")
        page.wait_for_function("window.__result !== undefined", timeout=180_000)
        result = page.evaluate("window.__result")
        pixels = None
        if "error" not in result:
            png = page.locator("canvas").screenshot()
            pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64) / 255.0
    finally:
        page.close()
    assert not outside, f"requests left the machine: {outside[:3]}"
    assert not errors, errors
    return result, pixels


def _save(name: str, images: list[np.ndarray]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    strip = np.concatenate([np.concatenate([im, np.zeros((im.shape[0], 4, 3))], axis=1) for im in images], axis=1)
    Image.fromarray((np.clip(strip, 0, 1) * 255 + 0.5).astype(np.uint8)).save(ARTIFACTS / f"viewers_{name}.png")


def _check(name: str, pixels: np.ndarray, refs: dict) -> None:
    ref = refs["marble"]
    assert pixels.shape == ref.shape
    _save(name, [ref, pixels])
    scores = {k: psnr(pixels, v) for k, v in refs.items()}
    assert scores["marble"] >= MIN_DB, scores
    for wrong in ("upside down", "mirrored", "turned about y"):
        assert scores[wrong] < WRONG_MAX_DB, (wrong, scores)


def test_three_js_khr_loader_renders_the_glb_like_marble(scene, server, browser):
    _, files, cam, refs = scene
    result, pixels = _view(browser, server, "view_khr_three.mjs", {"url": "/world.glb", **_camera_args(cam)}, "three_glb")
    assert "error" not in result, result
    assert result["splats"] == 3900  # linear SCALE: a log-scale file hangs or blurs the page instead
    _check("three_glb", pixels, refs)


def test_three_js_loads_a_glb_with_meshes_and_splats(scene, server, browser):
    """A layer with a mesh and splats: three.js refuses a glTF mesh mixing splat and triangle
    primitives (the whole file fails), so Marble gives the splats their own mesh and node."""
    from exporters.samples import colored_box, random_gaussians

    d = server[1]
    world = World([Layer("house", gaussians=random_gaussians(300, seed=1), mesh=colored_box(seed=1)),
                   Layer("crate", mesh=colored_box(seed=2))])
    export(world, d / "mixed.glb")
    result, pixels = _view(browser, server, "view_khr_three.mjs", {"url": "/mixed.glb", **_camera_args(scene[2])},
                           "three_mixed")
    assert "error" not in result, result
    assert result["splats"] == 300 and result["meshes"] == 2
    assert pixels.std() > 0.02  # something drawn


def test_spark_renders_the_spz_as_is_like_marble(scene, server, browser):
    _, files, cam, refs = scene
    result, pixels = _view(browser, server, "view_spark.mjs", {"url": "/world.spz", **_camera_args(cam)}, "spark_spz")
    assert "error" not in result, result
    assert result["splats"] == 3900
    _check("spark_spz", pixels, refs)


def test_spark_renders_the_ply_turned_about_x_like_marble(scene, server, browser):
    _, files, cam, refs = scene
    args = {"url": "/world.ply", "rotateX180": True, **_camera_args(cam)}
    result, pixels = _view(browser, server, "view_spark.mjs", args, "spark_ply")
    assert "error" not in result, result
    _check("spark_ply", pixels, refs)


def test_spark_2_2_reads_spz_v3_only(scene, server, browser):
    """Why the README tells Spark users ``--spz-version 3``: Spark 2.2's SPZ reader expects gzip.
    If this fails, a newer Spark reads version 4 and the note can go."""
    _, files, cam, refs = scene
    result, _ = _view(browser, server, "view_spark.mjs", {"url": "/world.v4.spz", **_camera_args(cam)}, "spark_spz4")
    assert "error" in result and "gzip" in result["error"].lower(), result
