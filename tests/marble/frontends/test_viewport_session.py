"""The viewport's side of the editor session: the data it draws, the commands it sends, autosave, routes."""

from __future__ import annotations

import json
import math
import os
import stat

import numpy as np
import pytest
import torch

from marble.errors import InputError
from marble.frontends.editor import EditorSession
from marble.frontends.editor.autosave import Autosaver, check_client_id, sweep
from marble.frontends.editor.feedback import humanize, understood
from marble.frontends.editor.scene import SPLAT_BYTES, frame, mesh_bytes, splat_bytes
from marble.frontends.editor.viewport import camera_from_view
from marble.gaussians import Gaussians
from marble.layout import Layout, LayoutEnvironment, LayoutObject
from marble.world import Layer, World
from tests.support.edit_worlds import small_world, splats


def _view(eye=(0.0, 1.0, 6.0), width=320, height=200, fov=60.0) -> dict:
    """A three.js camera at ``eye`` looking down -Z (identity quaternion)."""
    return {"position": list(eye), "quaternion": [0, 0, 0, 1], "fov": fov, "width": width, "height": height}


@pytest.fixture
def session(tmp_path):
    s = EditorSession(root=tmp_path / "root", preview_size=(64, 40))
    s.set_world(small_world())
    yield s
    s.close()


def test_the_viewport_camera_becomes_an_opencv_camera():
    cam = camera_from_view(_view(eye=(0, 0, 5)))
    from marble.edit.selection import project_points

    uv, z = project_points(cam, torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    assert torch.allclose(uv[0], torch.tensor([160.0, 100.0]), atol=1e-4) and float(z[0]) == pytest.approx(5.0)
    assert uv[1, 0] > 160 and uv[2, 1] < 100  # +X is right, +Y is up on screen (pixel rows grow downwards)
    assert cam.fy == pytest.approx(100 / math.tan(math.radians(30)))
    turned = camera_from_view({**_view(eye=(0, 0, 0)), "quaternion": [0, math.sin(math.pi / 4), 0, math.cos(math.pi / 4)]})
    uv, z = project_points(turned, torch.tensor([[-3.0, 0.0, 0.0]]))  # turned 90 deg left: -X is straight ahead
    assert float(z[0]) == pytest.approx(3.0, abs=1e-5) and float(uv[0, 0]) == pytest.approx(160.0, abs=1e-3)
    for bad in ({}, {**_view(), "fov": float("nan")}, {**_view(), "width": 5}):
        with pytest.raises(InputError):
            camera_from_view(bad)


def test_layer_buffers_hold_the_local_splats_and_meshes():
    w = small_world()
    chair = w.layer("chair_1")
    data = splat_bytes(chair)
    assert len(data) == SPLAT_BYTES * chair.num_splats
    rows = np.frombuffer(data, np.uint8).reshape(-1, SPLAT_BYTES)
    pos = rows[:, :12].copy().view(np.float32)
    np.testing.assert_allclose(pos, chair.gaussians.means.numpy(), atol=1e-7)
    np.testing.assert_allclose(rows[:, 12:24].copy().view(np.float32), torch.exp(chair.gaussians.log_scales).numpy(), rtol=1e-6)
    alpha = torch.sigmoid(chair.gaussians.opacity_logits).numpy()
    assert np.abs(rows[:, 27] / 255.0 - alpha).max() <= 0.5 / 255 + 1e-6
    m = mesh_bytes(chair)
    assert m[:4] == b"MMSH"
    nv, nf = np.frombuffer(m[4:12], np.uint32)
    assert len(m) == 12 + nv * 12 + nv * 4 + nf * 12 and nv == len(chair.mesh.vertices)
    assert splat_bytes(w.layer("rock")) == b""


def test_manifest_keys_follow_buffers_not_transforms(session):
    s = session
    m0 = s.manifest()
    keys = {x["name"]: x["key"] for x in m0["layers"]}
    assert m0["world"] and {b["name"] for b in m0["blockout"]} == {"chair_1", "table_1"}
    assert len(m0["frame"]["center"]) == 3 and m0["frame"]["radius"] > 0
    s.select_layer("chair_1")
    s.move(0.5, 0, 0)
    m1 = s.manifest()
    chair = next(x for x in m1["layers"] if x["name"] == "chair_1")
    assert chair["key"] == keys["chair_1"] and chair["transform"][12] == pytest.approx(1.5)  # moved, not reloaded
    assert m1["selection"]["layers"] == {"chair_1": "whole"} and m1["picked_object"] == "chair_1"
    s.recolor("tint", color="#ff8080")
    assert next(x for x in s.manifest()["layers"] if x["name"] == "chair_1")["key"] != keys["chair_1"]
    # a partial selection travels as bits
    s.select("sphere", center=(0, 0, 0), radius=1.0)
    m2 = s.manifest()
    part = m2["selection"]["partial"]
    bits = s.selection_bytes()
    for p in part:
        mask = np.unpackbits(np.frombuffer(bits[p["offset"]:p["offset"] + (p["count"] + 7) // 8], np.uint8),
                             bitorder="little")[:p["count"]].astype(bool)
        assert np.array_equal(mask, s.selection[p["name"]].numpy())
    assert m2["selection"]["center"] is not None


def test_commands_pick_drag_delete_undo(session):
    s = session
    view = _view(eye=(1.0, 0.4, 4.0))  # straight at the chair (x = 1, y = 0.4)
    assert "picked chair_1" in s.run_command(json.dumps({"op": "pick", "view": view, "x": 160, "y": 100}))
    assert set(s.selection) == {"chair_1"}
    assert "nothing there" in s.run_command(json.dumps({"op": "pick", "view": view, "x": 2, "y": 2}))
    assert s.selection == {}
    s.run_command(json.dumps({"op": "select_layer", "name": "chair_1"}))
    T = np.eye(4)
    T[:3, 3] = (0.0, 0.0, 1.0)
    s.run_command(json.dumps({"op": "transform", "matrix": T.reshape(-1).tolist(), "label": "gizmo"}))
    assert float(s.world.layer("chair_1").transform[2, 3]) == pytest.approx(1.0)
    assert tuple(s.world.layout.object("chair_1").position) == pytest.approx((1.0, 0.0, 1.0))  # its box moved along
    s.run_command('{"op": "delete"}')
    assert "chair_1" not in s.world and "chair_1" not in {o.name for o in s.world.layout.objects}
    s.run_command('{"op": "undo"}')
    assert "chair_1" in s.world and "chair_1" in {o.name for o in s.world.layout.objects}
    s.run_command('{"op": "redo"}')
    assert "chair_1" not in s.world
    s.run_command('{"op": "select_all"}')
    assert "sky" not in s.selection and set(s.selection) == {x.name for x in s.world.layers}
    s.run_command('{"op": "hide"}')
    assert not any(x.visible for x in s.world.layers)
    s.run_command('{"op": "show_all"}')
    assert all(x.visible for x in s.world.layers)
    for bad, match in (("not json", "unreadable"), ('{"op": "explode"}', "unknown viewport command"),
                       ('{"op": "transform", "matrix": [1, 2]}', "16 numbers")):
        with pytest.raises(InputError, match=match):
            s.run_command(bad)


def test_box_command_moves_the_layer_and_keeps_its_yaw(session):
    s = session
    s.world.layout.objects[1].yaw = math.radians(30)  # table_1
    before = s.world.layer("table_1").gaussians
    msg = s.run_command(json.dumps({"op": "box", "name": "table_1", "position": [0.0, 0.0, 2.0], "yaw_deg": 30.0}))
    assert "move table_1" in msg
    assert s.world.layer("table_1").gaussians is before  # moved, not rebuilt
    assert math.degrees(s.world.layout.object("table_1").yaw) == pytest.approx(30.0)
    msg = s.run_command(json.dumps({"op": "box", "name": "table_1", "position": [0.0, 0.0, 2.0], "yaw_deg": 30.0,
                                    "size": [2.0, 0.75, 0.8]}))
    assert "Regenerate" in msg and s.world.layout.object("table_1").size == (2.0, 0.75, 0.8)
    with pytest.raises(InputError, match="no blockout object"):
        s.run_command(json.dumps({"op": "box", "name": "sofa_9", "position": [0, 0, 0]}))


def _wall_world() -> World:
    """A wall of splats at z = 0 in front of a crate at z = -2 (seen from +z)."""
    n = 40
    xs, ys = torch.meshgrid(torch.linspace(-1, 1, n), torch.linspace(0, 2, n), indexing="ij")
    wall = Gaussians.from_points(torch.stack([xs.reshape(-1), ys.reshape(-1), torch.zeros(n * n)], 1),
                                 torch.full((n * n, 3), 0.7), scales=torch.full((n * n,), 0.04),
                                 opacity=torch.full((n * n,), 0.95))
    w = World([Layer("wall", label="wall", gaussians=wall),
               Layer("crate", label="crate", gaussians=splats(200, center=(0, 1, -2), spread=0.3, seed=5))])
    return w


def test_drawn_shapes_take_only_what_is_visible_unless_told(tmp_path):
    s = EditorSession(root=tmp_path)
    s.set_world(_wall_world())
    view = _view(eye=(0, 1, 3), width=200, height=200)
    s.select_shape(view, "rect", [[60, 60], [140, 140]])
    assert set(s.selection) == {"wall"}  # the crate is hidden behind the wall
    s.select_shape(view, "rect", [[60, 60], [140, 140]], through=True)
    assert set(s.selection) == {"wall", "crate"}
    s.select_shape(view, "lasso", [[100, 40], [160, 160], [40, 160]], mode="replace")
    lasso = int(s.selection["wall"].sum())
    s.select_shape(view, "brush", [[100, 100], [110, 100]], radius=5)
    assert 0 < int(s.selection["wall"].sum()) < lasso
    s.world.layer("wall").visible = False
    s.select_shape(view, "rect", [[60, 60], [140, 140]])
    assert set(s.selection) == {"crate"}  # a hidden layer hides nothing
    with pytest.raises(InputError, match="rect, lasso or brush"):
        s.select_shape(view, "circle", [[0, 0]])
    with pytest.raises(InputError, match="covers no pixel"):
        s.select_shape(view, "rect", [[500, 500], [600, 600]])
    s.close()


def test_autosave_writes_a_private_bundle_and_offers_it_back(tmp_path):
    root = tmp_path / "root"
    s = EditorSession(root=root)
    s.autosaver = Autosaver(root, "a" * 24, delay_s=0.01)
    s.set_world(small_world())
    s.select_layer("chair_1")
    s.delete()
    s.autosaver.flush()
    slot = root / "autosave" / ("a" * 24)
    bundle = slot / "autosave.marble"
    assert bundle.is_file() and stat.S_IMODE(os.stat(bundle).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(slot).st_mode) == 0o700 and stat.S_IMODE(os.stat(root).st_mode) == 0o700
    s.close()
    assert bundle.is_file()  # closing the tab's session keeps the autosave for a restore
    # the page is reloaded: a new session finds the work, sets it aside and restores it with its history
    t = EditorSession(root=root)
    t.autosaver = Autosaver(root, "a" * 24)
    info = t.autosaver.keep_for_restore()
    assert info["edits"] == 1 and "chair_1" not in json.dumps(info)
    t.open_bundle(t.autosaver.restore_bundle())
    assert "chair_1" not in t.world
    t.undo()
    assert "chair_1" in t.world
    t.autosaver.discard_restore()
    assert t.autosaver.restore_info() is None
    t.close()
    for bad in ("../../etc", "short", "x" * 65):
        with pytest.raises(InputError, match="autosave id"):
            check_client_id(bad)
    os.utime(slot, (0, 0))
    assert sweep(root) == 1 and not slot.exists()


def test_regenerate_asks_before_dropping_partial_edits(tmp_path):
    s = EditorSession(root=tmp_path)
    layout = Layout(environment=LayoutEnvironment(archetype="park", indoor=False, extent=4.0), objects=[
        LayoutObject(name="bench_1", label="bench", position=(0.0, 0.0, 0.0), size=(1.5, 0.8, 0.5))])
    from pipelines import generate_world

    s.set_world(generate_world(None, layout=layout, preset="draft", seed=0))
    with pytest.raises(InputError, match="has not changed"):
        s.regenerate()
    s.select("sphere", center=(0.5, 0.4, 0.0), radius=0.3)
    s.selection = {k: v for k, v in s.selection.items() if k == "bench_1"}
    s.recolor("set", color="#ff0000")
    s.blockout_resize("bench_1", (1.8, 0.8, 0.5))
    ref = s.world.copy()
    msg = s.regenerate()
    assert "Press Regenerate again" in msg and "bench_1 (1 edit)" in msg
    assert s.world.equal(ref)  # only asked
    msg = s.regenerate()
    assert "rebuilt" in msg and "partial_edits" not in s.world.layer("bench_1").meta
    s.close()


def test_words_the_editor_shows():
    text = understood("three red chairs around a table at night")
    assert "What Marble understood" in text and "3 x chair" in text and "night" in text
    assert understood("   ") == ""
    said = understood("a wizard tower beside a glowing pond, impressionist")
    assert "built" in said and ("not built" in said or "approximated" in said)  # the report, not just the parse
    assert "impressionist" in said  # a word Marble cannot build is named, never silently dropped
    assert humanize("set 0.800000011920929 (x 12.3456789)") == "set 0.8 (x 12.35)"
    assert humanize("seed 7, size 2.5") == "seed 7, size 2.5"


def test_routes_serve_the_viewport_and_guard_sessions(session):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from marble.frontends.editor.server import install_routes, node_modules, rewrite_three_imports

    app = FastAPI()
    install_routes(app)
    client = TestClient(app)
    assert client.get("/marble/web/viewport.js").status_code == 200
    assert client.get("/marble/web/../session.py").status_code == 404
    assert client.get("/marble/session/nope/manifest").status_code == 404
    man = client.get(f"/marble/session/{session.token}/manifest").json()
    assert man["world"] and man["token"] == session.token
    r = client.get(f"/marble/session/{session.token}/layer/chair_1/splats")
    assert r.status_code == 200 and len(r.content) == SPLAT_BYTES * 120
    assert client.get(f"/marble/session/{session.token}/layer/nope/splats").status_code == 404
    src = "import { A } from 'three';\nimport { B } from \"three/addons/x/Y.js\";"
    out = rewrite_three_imports(src, "examples/jsm/controls/OrbitControls.js")
    assert "from '../../../build/three.module.js'" in out and 'from "../../../examples/jsm/x/Y.js"' in out
    if node_modules() is not None:  # three.js installed (npm ci): served with its imports made relative
        js = client.get("/marble/web/vendor/three/examples/jsm/controls/OrbitControls.js").text
        assert "from 'three'" not in js and "three.module.js" in js
    assert client.get("/marble/web/vendor/three/../package.json").status_code == 404


def test_framing_stands_inside_a_room():
    w = small_world()
    w.layout.environment.indoor = True
    w.layout.environment.room_size = (6.0, 2.8, 5.0)
    f = frame(w)
    assert abs(f["eye"][0]) < 3.0 and abs(f["eye"][2]) < 2.5 and 0.5 < f["eye"][1] < 2.8
