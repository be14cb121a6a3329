"""The editor in a real browser: playwright drives Debian's Chromium against ``python app.py``.

One world is generated on the draft preset; a second browser context must not see it. The test
then selects and deletes a layer, undoes, shows an error for a bad edit with the world unchanged,
exports a GLB and validates the download, and checks the 3D viewers got a .glb and a .ply (last:
their software-WebGL rendering keeps a CPU busy). Screenshots land in ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request

import pytest
import trimesh

from tests.support import REPO

ROOT = REPO
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
GENERATE_TIMEOUT_MS = 420_000  # draft generation on 2 busy CPU cores, with room to spare
STEP_TIMEOUT_MS = 240_000  # one edit + re-render; generous because CI machines are shared

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    work = tmp_path_factory.mktemp("editor")
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "MARBLE_EDITOR_DIR": str(work / "sessions"),
           "HF_HUB_OFFLINE": "1", "GRADIO_TEMP_DIR": str(work / "gradio")}
    log = open(work / "app.log", "wb")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {proc.returncode}: {(work / 'app.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("app.py did not start within 180 s")
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _shot(page, name: str) -> None:
    """Save a screenshot artifact. Best effort: a page busy in software WebGL can stall the capture,
    and an artifact that could not be taken must not fail the behaviour under test."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"editor_{name}.png"), full_page=True, timeout=30_000, animations="disabled")
    except PlaywrightTimeout:
        (ARTIFACTS / f"editor_{name}.txt").write_text("screenshot timed out after 30 s\n")


def _open(context, url: str):
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#prompt textarea", timeout=STEP_TIMEOUT_MS)
    return page


def _text(page, selector: str) -> str:
    return page.locator(selector).inner_text()


def _wait_text(page, selector: str, needle: str, *, present: bool = True, timeout: int = STEP_TIMEOUT_MS) -> None:
    page.wait_for_function(
        "([sel, needle, present]) => { const e = document.querySelector(sel);"
        " return !!e && e.innerText.includes(needle) === present; }",
        arg=[selector, needle, present], timeout=timeout,
    )


FIRST_COLUMN = "#layers [role=gridcell][data-col='0']"


def _layer_names(page) -> list[str]:
    """Layer names in the rows the (virtualised) table shows: the first dozen or so."""
    cells = page.locator(FIRST_COLUMN).all_inner_texts()
    return [c.strip() for c in cells if c.strip()]


def test_editor_in_a_real_browser(server):
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            ctx_a = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
            ctx_b = browser.new_context(viewport={"width": 1400, "height": 1100})
            for ctx in (ctx_a, ctx_b):
                ctx.on("request", lambda r: external.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
            a = _open(ctx_a, server)
            b = _open(ctx_b, server)

            # ---- generate on the draft preset
            a.fill("#prompt textarea", "a small courtyard with a bench")
            a.click("#generate")
            a.wait_for_function(
                "() => /^\\d+ layers, [\\d,]+ splats, [\\d,]+ triangles/.test(document.querySelector('#stats').innerText.trim())",
                timeout=GENERATE_TIMEOUT_MS)
            stats = _text(a, "#stats")
            assert "layers" in stats and "splats" in stats
            a.wait_for_selector("#preview img", timeout=STEP_TIMEOUT_MS)
            _shot(a, "1_generated")

            # ---- a second session sees no world and cannot touch the first one's
            assert "no world yet" in _text(b, "#stats")
            b.click("#undo")
            b.get_by_text("no world yet: type a prompt").first.wait_for(timeout=STEP_TIMEOUT_MS)
            _shot(b, "3_other_session")
            assert _text(a, "#stats") == stats

            # ---- select a layer and delete it, then undo
            names = _layer_names(a)
            victim = next(n for n in names if n not in ("ground", "sky"))
            a.locator("#layer_pick input").click()
            a.get_by_role("option", name=victim, exact=True).click()
            a.keyboard.press("Escape")
            a.click("#select")
            _wait_text(a, "#selection", "whole")
            a.get_by_role("tab", name="Edit").click()
            a.click("#delete")
            n_layers = int(stats.split()[0])
            _wait_text(a, "#stats", f"{n_layers - 1} layers")
            a.wait_for_function(
                "([sel, v]) => ![...document.querySelectorAll(sel)].some(td => td.innerText.trim() === v)",
                arg=[FIRST_COLUMN, victim], timeout=STEP_TIMEOUT_MS)
            assert victim not in _layer_names(a)
            _shot(a, "4_deleted")
            a.click("#undo")
            _wait_text(a, "#stats", stats)
            a.wait_for_function(
                "([sel, v]) => [...document.querySelectorAll(sel)].some(td => td.innerText.trim() === v)",
                arg=[FIRST_COLUMN, victim], timeout=STEP_TIMEOUT_MS)
            assert _layer_names(a) == names
            _shot(a, "5_undone")

            # ---- bad input: deleting an empty selection shows a message and changes nothing
            a.click("#delete")
            a.get_by_text("the selection is empty").first.wait_for(timeout=STEP_TIMEOUT_MS)
            assert _layer_names(a) == names and _text(a, "#stats") == stats
            _shot(a, "6_error")

            # ---- lasso: click four points on the preview (drawn on it), then select what lies inside
            a.get_by_role("tab", name="Select").click()
            a.locator("#kind").get_by_text("lasso", exact=True).click()
            before_sel = _text(a, "#selection")
            img = a.locator("#preview img").first
            box = img.bounding_box()
            for k, (fx, fy) in enumerate(((0.3, 0.45), (0.7, 0.45), (0.7, 0.95), (0.3, 0.95)), start=1):
                img.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
                a.wait_for_function(
                    "(n) => { const t = document.querySelector('#points textarea');"
                    " return !!t && t.value.split(';').filter(s => s.trim()).length === n; }",
                    arg=k, timeout=STEP_TIMEOUT_MS)
            _shot(a, "6b_lasso_points")
            clicked = a.locator("#points textarea").input_value()
            xs = [float(p.split(",")[0]) for p in clicked.split(";")]
            assert max(xs) - min(xs) > 10, clicked  # image pixel coordinates, spread like the clicks
            a.click("#select")
            a.wait_for_function(
                "(prev) => { const t = document.querySelector('#selection').innerText.trim();"
                " return t !== prev && /^[\\d,]+ splats in \\d+ layer/.test(t); }",
                arg=before_sel.strip(), timeout=STEP_TIMEOUT_MS)
            lasso_sel = _text(a, "#selection")
            a.locator("#kind").get_by_text("all", exact=True).click()
            a.click("#select")
            a.wait_for_function("(prev) => document.querySelector('#selection').innerText.trim() !== prev",
                                arg=lasso_sel.strip(), timeout=STEP_TIMEOUT_MS)
            n_lasso = int(lasso_sel.split()[0].replace(",", ""))
            n_all = int(_text(a, "#selection").split()[0].replace(",", ""))
            assert 0 < n_lasso < n_all, (lasso_sel, n_all)

            # ---- export a GLB and check the downloaded file
            a.get_by_role("tab", name="Export").click()
            a.click("#export")
            link = a.locator("#downloads a[href*='.glb']").first
            link.wait_for(timeout=GENERATE_TIMEOUT_MS)
            with a.expect_download(timeout=STEP_TIMEOUT_MS) as info:
                link.click()
            ARTIFACTS.mkdir(exist_ok=True)
            glb_path = ARTIFACTS / "editor_export.glb"
            info.value.save_as(glb_path)
            _shot(a, "7_exported")

            # ---- the 3D viewers received a .glb (meshes) and a .ply (splats)
            a.get_by_role("tab", name="3D").click()
            glb_link = a.locator("#meshes3d [data-testid=model3d-download-link]")
            ply_link = a.locator("#splats3d [data-testid=model3d-download-link]")
            glb_link.wait_for(timeout=STEP_TIMEOUT_MS)
            ply_link.wait_for(timeout=STEP_TIMEOUT_MS)
            assert ".glb" in (glb_link.get_attribute("href") or "")
            assert ".ply" in (ply_link.get_attribute("href") or "")
            for viewer in ("#meshes3d", "#splats3d"):  # the viewers built their WebGL canvases
                a.locator(f"{viewer} canvas").first.wait_for(state="attached", timeout=STEP_TIMEOUT_MS)
            a.wait_for_timeout(5000)  # let software WebGL draw a frame for the screenshot
            _shot(a, "8_viewer")
        except Exception:
            for name, page in (("a", locals().get("a")), ("b", locals().get("b"))):
                if page is not None:
                    _shot(page, f"failure_{name}")
            raise
        finally:
            browser.close()

    data = glb_path.read_bytes()
    magic, version, length = struct.unpack("<4sII", data[:12])
    assert (magic, version, length) == (b"glTF", 2, len(data))
    chunk_len, chunk_type = struct.unpack("<II", data[12:20])
    assert chunk_type == 0x4E4F534A  # JSON
    doc = json.loads(data[20:20 + chunk_len])
    assert doc["asset"]["version"] == "2.0" and doc.get("meshes")
    scene = trimesh.load(glb_path, force="scene")
    assert len(scene.geometry) >= 1 and sum(len(g.faces) for g in scene.geometry.values() if hasattr(g, "faces")) > 0
    assert not external, f"the app reached outside localhost: {external[:5]}"
