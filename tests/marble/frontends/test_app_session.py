"""EditorSession: the app's logic without Gradio (selection, edits, undo, previews, viewer files, export, resume)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch

from marble.camera import Camera
from marble.errors import InputError
from marble.frontends.editor import EditorSession, parse_color
from tests.support.edit_worlds import small_world


@pytest.fixture
def session(tmp_path):
    s = EditorSession(root=tmp_path, preview_size=(64, 40))
    w = small_world()
    w.cameras = [Camera.look_at((0, 2, 6), (0, 0.3, 0), width=320, height=200)]
    s.set_world(w)
    yield s
    s.close()


def test_no_world_yet_is_a_clear_message(tmp_path):
    s = EditorSession(root=tmp_path)
    for call in (s.delete, s.undo, lambda: s.select("all"), lambda: s.export(["glb"])):
        with pytest.raises(InputError, match="no world yet"):
            call()
    with pytest.raises(InputError, match="prompt"):
        s.generate("   ")


def test_select_edit_undo_cycle(session):
    s = session
    before = s.world.copy()
    assert "120 splats" in s.select("layer", layers=["chair_1"])
    assert "whole" in s.select("sphere", center=(0, 0, 0), radius=1.0, mode="add")
    s.delete()
    assert "chair_1" not in s.world and s.selection == {}
    with pytest.raises(InputError, match="selection is empty"):
        s.delete()
    s.undo()
    assert s.world.equal(before)
    s.redo()
    s.undo()
    with pytest.raises(InputError, match="nothing to undo"):
        s.undo()
    assert s.world.equal(before)


def test_transform_keeps_selection_and_rejects_nan(session):
    s = session
    s.select("label", label="table")
    s.move(0.0, 1.0, 0.0)
    assert "table_1" in s.selection  # same splat counts: the selection survives a move
    ref = s.world.copy()
    with pytest.raises(InputError, match="NaN"):
        s.move(float("nan"), 0, 0)
    with pytest.raises(InputError, match="finite"):
        s.rotate(float("inf"))
    assert s.world.equal(ref)
    s.rotate(90, "y")
    s.scale(1.5)
    s.recolor("set", color="#ff0000")
    rgb = s.world.layer("table_1").gaussians.colors
    assert float(rgb[:, 1:].abs().max()) < 1e-5 and float(rgb[:, 0].mean()) > 0.6  # red, its shading kept
    s.recolor("brightness", factor=0.5)
    s.set_opacity(0.3)
    s.duplicate(1.0, 0.0, 0.0)
    assert "table_1_copy" in s.world
    assert len(s.history.undo_stack) == 7


def test_preview_highlights_the_selection(session):
    s = session
    plain = s.preview()
    assert plain.shape == (40, 64, 3) and plain.dtype == np.uint8
    s.select("all")
    lit = s.preview()
    assert not np.array_equal(plain, lit)
    mask = s.highlight_mask()
    assert mask.shape == (s.world.num_splats,) and bool(mask.all())
    s.select("rect", rect=(0, 0, 32, 40))
    assert s.selection and s.layer_rows()[0][0] == "ground"


def test_layers_rename_visibility_floaters(session):
    s = session
    s.rename_layer("rock", "stone")
    s.set_visible(["ground"], False)
    rows = {r[0]: r for r in s.layer_rows()}
    assert rows["ground"][2] == "no" and "stone" in rows
    with pytest.raises(InputError, match="no layer named"):
        s.set_visible(["nope"], True)
    assert "stone" in s.world  # the failed call changed nothing
    s.set_visible(["ground"], True)
    s.select("sphere", center=(0, 0, 0), radius=1.5)
    s.separate("")  # an empty name gets a generated one
    assert "part" in s.world


def test_separate_requires_selection(session):
    with pytest.raises(InputError, match="selection is empty"):
        session.separate("part")


def test_export_names_say_what_the_files_are(session, tmp_path):
    from marble.frontends.editor.files import describe_files

    s = session
    files = s.export(["glb", "ply"], profile="web")
    names = [f.name for f in files]
    assert any(n.endswith("_web.glb") for n in names) and any(n.endswith("_web.ply") for n in names)
    data = next(f for f in files if f.suffix == ".glb").read_bytes()
    magic, version, length = struct.unpack("<4sII", data[:12])
    assert magic == b"glTF" and version == 2 and length == len(data)
    chunk_len, chunk_type = struct.unpack("<II", data[12:20])
    assert chunk_type == 0x4E4F534A and "asset" in json.loads(data[20:20 + chunk_len])
    text = describe_files(files, "web")
    assert "KHR_gaussian_splatting" in text and "web profile: at most 2,500,000 splats" in text
    assert all(f"**{n}**" in text for n in names)
    with pytest.raises(InputError, match="format"):
        s.export([])
    with pytest.raises(InputError, match="unknown format"):
        s.export(["xyz"])
    with pytest.raises(InputError, match="profile"):
        s.export(["glb"], profile="toaster")


def test_save_and_resume_session(session, tmp_path):
    s = session
    s.select("layer", layers="chair_1")
    s.delete()
    s.blockout_move("table_1", (0, 0, 3))
    path = s.save_bundle()
    other = EditorSession(root=tmp_path)
    other.open_bundle(path)
    assert "chair_1" not in other.world and other.history.can_undo
    other.undo()
    other.undo()
    assert "chair_1" in other.world and tuple(other.world.layout.object("table_1").position) == (-1.5, 0.0, 1.0)
    with pytest.raises(InputError, match="not a .marble"):
        other.open_bundle(tmp_path / "x.glb")
    other.close()


def test_blockout_edits_through_the_session(session):
    s = session
    s.blockout_add("bench", (2, 0, 2))
    assert [r[0] for r in s.layout_rows()] == ["chair_1", "table_1", "bench_1"]
    s.blockout_resize("bench_1", (1.5, 0.5, 0.5))
    s.blockout_relabel("bench_1", "rock")
    s.blockout_delete("chair_1")
    assert [r[1] for r in s.layout_rows()] == ["table", "rock"]
    with pytest.raises(InputError, match="no blockout object"):
        s.blockout_move("sofa", (0, 0, 0))


def test_bad_image_upload_is_rejected(session, tmp_path):
    s = session
    ref = s.world.copy()
    junk = tmp_path / "notes.png"
    junk.write_text("this is not an image")
    with pytest.raises(InputError):
        s.generate("a park", image=junk)
    assert s.world.equal(ref)


def test_huge_image_upload_is_rejected(session, tmp_path, monkeypatch):
    from PIL import Image

    s = session
    ref = s.world.copy()
    big = tmp_path / "big.png"
    Image.new("RGB", (64, 64), (120, 80, 40)).save(big)
    monkeypatch.setenv("MARBLE_MAX_IMAGE_PIXELS", "1000")  # 64 x 64 = 4096 pixels is "huge" here
    with pytest.raises(InputError, match="(?i)pixel|large|big"):
        s.generate(None, image=big)
    assert s.world.equal(ref)


def test_parse_color():
    assert parse_color("#ff8000") == (1.0, 128 / 255, 0.0)
    assert parse_color("rgba(255, 0, 0, 1)") == (1.0, 0.0, 0.0)
    assert parse_color([0.1, 0.2, 0.3]) == (0.1, 0.2, 0.3)
    with pytest.raises(InputError):
        parse_color("blue-ish")


def test_points_clicked_on_the_preview_make_rect_and_lasso_selections(session):
    from marble.frontends.editor import (
        add_point,
        draw_points,
        parse_points,
        points_for,
    )

    s = session
    text = ""
    for xy in ((4.2, 3.0), (60, 5), (58.7, 38), (3, 36)):  # clicks at the preview's corners (64 x 40)
        text = add_point(text, xy)
    assert text == "4, 3; 60, 5; 59, 38; 3, 36"
    np.testing.assert_array_equal(parse_points(text), [[4, 3], [60, 5], [59, 38], [3, 36]])
    assert points_for("rect", text) == [3.0, 3.0, 60.0, 38.0]  # the points' bounding box
    assert points_for("lasso", text).shape == (4, 2)
    assert points_for("box", text) is None
    with pytest.raises(InputError, match="click 2 more point"):
        points_for("lasso", "1, 2")
    with pytest.raises(InputError, match="cannot read point"):
        parse_points("1, 2; three, 4")

    everything = s.select("lasso", polygon=points_for("lasso", text))
    n_all = sum(len(v) for v in s.selection.values())
    small = s.select("lasso", polygon=points_for("lasso", "28, 15; 36, 15; 32, 25"))
    n_small = sum(len(v) for v in s.selection.values())
    assert 0 < n_small < n_all, (everything, small)

    img = s.preview()
    drawn = draw_points(img, text, "lasso")
    assert drawn.shape == img.shape and drawn.dtype == np.uint8
    changed = np.any(drawn != img, axis=-1)
    assert changed[3, 4] and changed[38, 59] and not changed[20, 32]  # the points and outline, not the inside
    assert np.array_equal(draw_points(img, "garbage", "lasso"), img)  # unreadable points draw nothing


def _png(path, rgb):
    from PIL import Image

    Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8)).save(path)
    return path


def test_a_panorama_upload_makes_a_world_and_bad_captures_are_refused(session, tmp_path):
    s = session
    ref = s.world.copy()
    rng = np.random.default_rng(0)
    pano = np.zeros((64, 128, 3), np.float32)
    pano[:32] = [0.5, 0.7, 0.95]
    pano[32:] = np.clip([0.3, 0.5, 0.2] + rng.normal(0, 0.05, (32, 128, 3)), 0, 1)
    square = _png(tmp_path / "square.png", pano[:, :64])
    with pytest.raises(InputError, match="not 2:1"):
        s.generate(None, panorama=square)
    good = _png(tmp_path / "room_360.png", pano)
    with pytest.raises(InputError, match="give one input"):
        s.generate(None, image=good, panorama=good)
    with pytest.raises(InputError):  # one photo given twice is not several photos
        s.generate(None, photos=[good, good])
    assert s.world.equal(ref)  # refused inputs leave the world as it was
    w = s.generate(None, panorama=good, preset="draft", camera_height=1.5)
    assert w is s.world and w.num_splats > 1000
    assert w.provenance.inputs.get("panorama") == "room_360.png" or "panorama" in json.dumps(w.provenance.inputs)
