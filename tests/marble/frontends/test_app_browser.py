"""The editor in a real browser: playwright drives Debian's Chromium (headless, software GL) against ``python app.py``.

One draft world is generated; the 3D viewport must draw it. The test then picks the sofa by clicking it,
recolours it, drags it with the gizmo, deletes the lamp with the Delete key and undoes/redoes with
Ctrl+Z / Ctrl+Y, resizes the table's box and regenerates (the recolour and the deletion survive), reloads
the page and restores the autosave, shows one-line errors for bad uploads with the world untouched,
and exports a GLB. A second browser context must not see the first one's world. Screenshots and the
measured numbers (time to first pixel, orbit frame rate) land in ``test-artifacts/``.
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

from tests.support import REPO

ROOT = REPO
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PROMPT = "a cozy living room with a blue velvet sofa and a lamp on the table"
GENERATE_TIMEOUT_MS = 420_000  # draft generation on 2 busy CPU cores, with room to spare
STEP_TIMEOUT_MS = 240_000  # one edit round trip; generous because CI machines are shared

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from marble.frontends.editor.server import viewport_available

    if not viewport_available():
        pytest.fail("three.js is not installed: run `npm ci` in the repository (scripts/setup.sh does it)")
    port = _free_port()
    work = tmp_path_factory.mktemp("editor")
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "MARBLE_EDITOR_DIR": str(work / "sessions"),
           "HF_HUB_OFFLINE": "1", "GRADIO_TEMP_DIR": str(work / "gradio"), "MARBLE_MAX_IMAGE_PIXELS": "1000000"}
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
        yield url, work
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _shot(page, name: str) -> None:
    """Save a screenshot artifact (best effort: a capture that times out must not fail the test)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"editor_{name}.png"), timeout=30_000, animations="disabled")
    except PlaywrightTimeout:
        (ARTIFACTS / f"editor_{name}.txt").write_text("screenshot timed out after 30 s\n")


def _open(context, url: str):
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())  # "replace your world and its unsaved edits?": yes
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#prompt textarea", timeout=STEP_TIMEOUT_MS)
    page.wait_for_function("() => window.marbleViewport && window.marbleViewport.instance", timeout=STEP_TIMEOUT_MS)
    return page


def _text(page, selector: str) -> str:
    return page.locator(selector).inner_text()


def _wait_text(page, selector: str, needle: str, *, present: bool = True, timeout: int = STEP_TIMEOUT_MS) -> None:
    page.wait_for_function(
        "([sel, needle, present]) => { const e = document.querySelector(sel);"
        " return !!e && e.innerText.includes(needle) === present; }",
        arg=[selector, needle, present], timeout=timeout,
    )


def _last(page, selector: str) -> str:
    """The component's own text (after the "Error" badge Gradio shows on outputs of a failed event)."""
    lines = [x for x in _text(page, selector).splitlines() if x.strip() and x.strip() != "Error"]
    return lines[-1] if lines else ""


def _manifest(page, expr: str):
    return page.evaluate(f"(() => {{ const m = window.marbleViewport.instance.manifest; return {expr}; }})()")


def _wait_manifest(page, condition: str, timeout: int = STEP_TIMEOUT_MS) -> None:
    """Wait until the viewport has loaded a manifest for which ``condition`` (JS over ``m``) holds."""
    page.wait_for_function(
        f"() => {{ const v = window.marbleViewport.instance; const m = v.manifest;"
        f" if (!m || !m.world || v.loading) return false; return !!({condition}); }}", timeout=timeout)


def _layer_names(page) -> list[str]:
    return _manifest(page, "m.layers.map(l => l.name)")


def _click_layer(page, name: str) -> None:
    """Aim the camera at layer ``name`` and click the middle of it in the viewport."""
    assert page.evaluate("(n) => window.marbleViewport.lookAt(n)", name)
    pt = page.evaluate("(n) => window.marbleViewport.screenOf(n)", name)
    assert pt["onScreen"], pt
    page.mouse.click(pt["x"], pt["y"])


def _pivot(page) -> dict:
    return page.evaluate("""() => { const v = window.marbleViewport.instance; const p = v.pivot.position.clone().project(v.camera);
        const r = v.renderer.domElement.getBoundingClientRect();
        return {x: r.left + (p.x * 0.5 + 0.5) * r.width, y: r.top + (0.5 - p.y * 0.5) * r.height}; }""")


def _mean_rgb(page, name: str) -> list[float]:
    """Mean colour of a layer's splats as the server sends them to the viewport."""
    return page.evaluate("""async (n) => { const v = window.marbleViewport.instance;
        const r = await fetch(`marble/session/${v.token}/layer/${n}/splats?fresh=${Date.now()}`);
        const b = new Uint8Array(await r.arrayBuffer()); const c = [0, 0, 0]; const k = b.length / 32;
        for (let i = 0; i < k; i++) for (let j = 0; j < 3; j++) c[j] += b[i * 32 + 24 + j];
        return c.map(x => x / k / 255); }""", name)


def test_editor_in_a_real_browser(server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, work = server
    external: list[str] = []
    metrics: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            ctx_a = browser.new_context(viewport={"width": 1400, "height": 1200}, accept_downloads=True)
            ctx_b = browser.new_context(viewport={"width": 1400, "height": 1100})
            for ctx in (ctx_a, ctx_b):
                ctx.on("request", lambda r: external.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
            a = _open(ctx_a, url)
            b = _open(ctx_b, url)

            # ---- generate on the draft preset; what Marble understood shows beside the prompt
            a.fill("#prompt textarea", PROMPT)
            _wait_text(a, "#understood", "sofa")
            t0 = time.monotonic()
            a.click("#generate")
            a.wait_for_function("() => window.marbleViewport.stats.firstPixelAt !== null", timeout=GENERATE_TIMEOUT_MS)
            metrics["first_pixel_after_generate_s"] = round(time.monotonic() - t0, 2)
            stats = _text(a, "#stats")
            assert "layers" in stats and "splats" in stats
            drawn = a.evaluate("window.marbleViewport.pixelStats()")
            assert drawn["fraction"] > 0.3, drawn  # the viewport drew the room, not just its background
            names = _layer_names(a)
            assert {"sofa_0", "lamp_0", "table_0"} <= set(names), names
            _shot(a, "1_generated")

            # ---- a second session sees no world and cannot touch the first one's
            assert "no world yet" in _text(b, "#stats")
            b.click("#undo")
            b.get_by_text("no world yet: type a prompt").first.wait_for(timeout=STEP_TIMEOUT_MS)
            assert _text(a, "#stats") == stats

            # ---- pick the sofa by clicking it (1 click)
            _click_layer(a, "sofa_0")
            _wait_text(a, "#selection", "whole: sofa_0")
            _wait_manifest(a, "m.selection.layers.sofa_0 === 'whole' && m.selection.center")
            a.wait_for_function("() => window.marbleViewport.instance.gizmo.object !== undefined", timeout=STEP_TIMEOUT_MS)
            _shot(a, "2_picked_sofa")

            # ---- recolour it (Edit tab + Recolour: the default colour #cc3333)
            a.get_by_role("tab", name="Edit").click()
            a.click("#recolor")
            _wait_text(a, "#history", "set #cc3333 (sofa_0)")
            red = _mean_rgb(a, "sofa_0")
            assert red[0] > 1.5 * red[2], red  # red, not blue any more

            # ---- drag it with the gizmo (press on the gizmo's centre, move, release: 1 drag)
            before = _manifest(a, "m.layers.find(l => l.name === 'sofa_0').transform")
            box_before = _manifest(a, "m.blockout.find(b => b.name === 'sofa_0').position")
            a.wait_for_function("() => { const v = window.marbleViewport.instance; const st = JSON.parse("
                                "document.querySelector('#vp_state textarea').value || '{}');"
                                " return !v.loading && v.version === st.version && v.gizmo.object !== undefined; }",
                                timeout=STEP_TIMEOUT_MS)  # the viewport shows the recoloured world, gizmo attached
            a.wait_for_timeout(500)
            c = _pivot(a)
            a.mouse.move(c["x"] - 3, c["y"])
            a.mouse.move(c["x"], c["y"])
            a.wait_for_timeout(500)
            a.mouse.down()
            for i in range(1, 11):
                a.mouse.move(c["x"] + 6 * i, c["y"])
                a.wait_for_timeout(40)
            a.mouse.up()
            _wait_manifest(a, "((t) => Math.abs(t[12] - %r) + Math.abs(t[13] - %r) + Math.abs(t[14] - %r))"
                              "(m.layers.find(l => l.name === 'sofa_0').transform) > 0.05" % tuple(before[12:15]))
            after = _manifest(a, "m.layers.find(l => l.name === 'sofa_0').transform")
            moved = [after[12 + i] - before[12 + i] for i in range(3)]
            assert max(abs(v) for v in moved) > 0.05, moved
            box_after = _manifest(a, "m.blockout.find(b => b.name === 'sofa_0').position")
            assert box_after != box_before  # the blockout box moved with its layer
            _wait_text(a, "#history", "move x")
            _shot(a, "3_dragged_sofa")

            # ---- delete the lamp with the Delete key, undo and redo with the keyboard
            _click_layer(a, "lamp_0")
            _wait_text(a, "#selection", "whole: lamp_0")
            a.keyboard.press("Delete")
            _wait_manifest(a, "!m.layers.some(l => l.name === 'lamp_0') && !m.blockout.some(b => b.name === 'lamp_0')")
            a.keyboard.press("Control+z")
            _wait_manifest(a, "m.layers.some(l => l.name === 'lamp_0') && m.blockout.some(b => b.name === 'lamp_0')")
            a.keyboard.press("Control+y")
            _wait_manifest(a, "!m.layers.some(l => l.name === 'lamp_0')")
            _shot(a, "4_deleted_lamp")

            # ---- the blockout: pick the table, its values fill the form; resize it and regenerate
            a.get_by_role("tab", name="Blockout").click()
            a.click("#mv-blockout")
            _click_layer(a, "table_0")
            _wait_text(a, "#selection", "whole: table_0")
            a.wait_for_function("() => document.querySelector('#obj input').value === 'table_0'", timeout=STEP_TIMEOUT_MS)
            width = float(a.locator("#size_width input").input_value())
            assert width > 0.3
            a.locator("#size_width input").fill(f"{width * 0.8:.3f}")
            a.click("#b_resize")
            _wait_text(a, "#message", "press Regenerate")
            sofa_key = _manifest(a, "m.layers.find(l => l.name === 'sofa_0').key")
            a.click("#regenerate")
            _wait_text(a, "#message", "rebuilt", timeout=GENERATE_TIMEOUT_MS)
            _wait_manifest(a, "m.layers.some(l => l.name === 'table_0')")
            assert "lamp_0" not in _layer_names(a)  # the deletion survived the regeneration
            assert _manifest(a, "m.layers.find(l => l.name === 'sofa_0').key") == sofa_key  # kept as edited
            red_again = _mean_rgb(a, "sofa_0")
            assert red_again == pytest.approx(red, abs=1e-6)  # ... with its recolour
            _shot(a, "5_regenerated")
            stats_edited = _last(a, "#stats")
            history_edited = _last(a, "#history")

            # ---- bad input: a corrupt bundle and a text file under Open; a huge image for Generate
            corrupt = tmp_path / "broken.marble"
            corrupt.write_bytes(b"PK\x03\x04 this is not a world")
            a.get_by_role("tab", name="Export").click()
            a.locator("#bundle input[type=file]").set_input_files(str(corrupt))
            a.get_by_text("broken.marble: not a readable .marble bundle").first.wait_for(timeout=STEP_TIMEOUT_MS)
            notes = tmp_path / "notes.txt"
            notes.write_text("hello")
            a.locator("#bundle button[aria-label=Clear]").first.click()
            a.locator("#bundle input[type=file]").set_input_files(str(notes))
            a.get_by_text("is not a .marble bundle").first.wait_for(timeout=STEP_TIMEOUT_MS)
            assert _last(a, "#stats") == stats_edited and _last(a, "#history") == history_edited
            from PIL import Image

            huge = tmp_path / "huge.png"
            Image.new("RGB", (1400, 1000), (90, 120, 160)).save(huge)
            a.locator("#image input[type=file]").set_input_files(str(huge))
            a.click("#generate")
            a.get_by_text("pixel limit").first.wait_for(timeout=STEP_TIMEOUT_MS)
            assert _last(a, "#stats") == stats_edited and _last(a, "#history") == history_edited
            _shot(a, "6_bad_input")

            # ---- export a GLB: the list says what each file is
            a.click("#export")
            link = a.locator("#downloads a[href*='.glb']").first
            link.wait_for(timeout=GENERATE_TIMEOUT_MS)
            assert "KHR_gaussian_splatting" in _text(a, "#downloads_text")
            with a.expect_download(timeout=STEP_TIMEOUT_MS) as info:
                link.click()
            glb_path = tmp_path / "editor_export.glb"
            info.value.save_as(glb_path)

            # ---- frame rate while orbiting (software GL), recorded for the report
            metrics["orbit_draft_moving"] = a.evaluate("window.marbleViewport.orbitFps(12, true)")
            metrics["orbit_draft_still"] = a.evaluate("window.marbleViewport.orbitFps(3, false)")

            # ---- reload: the autosave is offered and restores the world with its history
            a.reload(wait_until="domcontentloaded")
            a.wait_for_selector("#restore_row", state="visible", timeout=STEP_TIMEOUT_MS)
            assert "can be restored" in _text(a, "#restore_text")
            a.click("#restore")
            _wait_text(a, "#stats", stats_edited.split(",")[0])
            assert _last(a, "#stats") == stats_edited
            _wait_text(a, "#history", "set #cc3333 (sofa_0)")
            a.wait_for_function("() => window.marbleViewport.stats.firstPixelAt !== null", timeout=STEP_TIMEOUT_MS)
            _wait_manifest(a, "!m.layers.some(l => l.name === 'lamp_0')")
            a.keyboard.press("Control+z")  # undo works across the reload
            _wait_text(a, "#message", "undid")
            _shot(a, "7_restored")
        except Exception:
            for name, page in (("a", locals().get("a")), ("b", locals().get("b"))):
                if page is not None:
                    _shot(page, f"failure_{name}")
            raise
        finally:
            browser.close()

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "editor_metrics.json").write_text(json.dumps(metrics, indent=1))
    data = glb_path.read_bytes()
    magic, version, length = struct.unpack("<4sII", data[:12])
    assert (magic, version, length) == (b"glTF", 2, len(data))
    assert not external, f"the app reached outside localhost: {external[:5]}"


def test_a_360_panorama_upload_in_a_real_browser(server, tmp_path):
    """The capture inputs are in the editor too: upload a 2:1 panorama, Generate, the viewport draws it;
    a panorama that is not 2:1 is refused with the fix in the message."""
    import numpy as np
    from PIL import Image
    from playwright.sync_api import sync_playwright

    rng = np.random.default_rng(0)
    pano = np.zeros((128, 256, 3), np.float32)
    pano[:64] = [0.5, 0.7, 0.95]
    pano[64:] = np.clip([0.3, 0.5, 0.2] + rng.normal(0, 0.05, (64, 256, 3)), 0, 1)
    pano[56:80, 100:130] = [0.6, 0.3, 0.2]  # a house on the horizon
    good, square = tmp_path / "meadow_360.png", tmp_path / "square.png"
    Image.fromarray((pano * 255).astype(np.uint8)).save(good)
    Image.fromarray((pano[:, :128] * 255).astype(np.uint8)).save(square)
    url, _work = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = _open(browser.new_context(viewport={"width": 1400, "height": 1200}), url)
            page.click("#capture button, #capture .label-wrap")
            page.locator("#panorama input[type=file]").set_input_files(str(square))
            page.click("#generate")
            page.get_by_text("not 2:1").first.wait_for(timeout=STEP_TIMEOUT_MS)
            assert "no world yet" in _text(page, "#stats")
            page.locator("#panorama button[aria-label=Clear]").first.click()
            page.locator("#panorama input[type=file]").set_input_files(str(good))
            page.wait_for_function("() => document.querySelector('#panorama').innerText.includes('meadow_360')",
                                   timeout=STEP_TIMEOUT_MS)
            page.click("#generate")
            _wait_text(page, "#message", "generated", timeout=GENERATE_TIMEOUT_MS)
            page.wait_for_function("() => window.marbleViewport.stats.firstPixelAt !== null", timeout=GENERATE_TIMEOUT_MS)
            drawn = page.evaluate("window.marbleViewport.pixelStats()")
            assert drawn["fraction"] > 0.3, drawn
            assert any(n.startswith("dir_") for n in _layer_names(page))
            _shot(page, "panorama_generated")
        finally:
            browser.close()


def test_the_viewport_draws_live_fog_by_distance(server):
    """A foggy world's surface layers hold colours without fog: the viewport veils each splat by its
    own distance (as Marble's renderer does), so with the fog switched off the same view is clearer."""
    import numpy as np
    from playwright.sync_api import sync_playwright

    url, _work = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = _open(browser.new_context(viewport={"width": 1200, "height": 1000}), url)
            page.fill("#prompt textarea", "a pine forest with rocks in thick fog")
            page.click("#generate")
            _wait_text(page, "#message", "generated", timeout=GENERATE_TIMEOUT_MS)
            page.wait_for_function("() => window.marbleViewport.stats.firstPixelAt !== null", timeout=GENERATE_TIMEOUT_MS)
            _wait_manifest(page, "m.fog && m.layers.some(L => L.fog)")
            fog = np.array(_manifest(page, "m.fog.color"))
            veiled = page.evaluate("window.marbleViewport.pixelStats()")
            _shot(page, "fog_live")
            clear = page.evaluate("() => { window.marbleViewport.instance.cloud.setFog(0, null); "
                                  "return window.marbleViewport.pixelStats(); }")
            assert veiled["fraction"] > 0.3 and clear["fraction"] > 0.3
            d_veiled = float(np.linalg.norm(np.array(veiled["mean"]) - fog))
            d_clear = float(np.linalg.norm(np.array(clear["mean"]) - fog))
            assert d_veiled < 0.8 * d_clear, (veiled, clear, fog)
        finally:
            browser.close()
