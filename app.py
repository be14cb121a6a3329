"""Marble editor: a thin Gradio layer over ``marble.frontends.editor_session.EditorSession``.

    python app.py [--host 127.0.0.1] [--port 7860] [--share] [--max-file-size 64mb]

Each browser session gets its own EditorSession (``gr.State``), so users never see each other's
worlds; errors appear as messages and leave the world unchanged. All logic lives in ``marble``
and ``pipelines``; this file only wires widgets to session methods.
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no phoning home

import gradio as gr  # noqa: E402

from marble.frontends.editor_session import (  # noqa: E402
    BACKENDS, SELECT_MODES, EditorSession, add_point, draw_points, export_format_choices, points_for, preset_choices,
    profile_choices,
)
from marble.errors import MarbleError  # noqa: E402

ROOT = Path(os.environ.get("MARBLE_EDITOR_DIR") or Path(tempfile.gettempdir()) / "marble-editor")
SELECT_KINDS = ["layer", "label", "box", "sphere", "color", "opacity", "rect", "lasso", "all"]


def _session(state: EditorSession | None) -> EditorSession:
    return state if state is not None else EditorSession(root=ROOT)


def _view(s: EditorSession, message: str = ""):
    """Values for VIEW outputs: state, preview, stats, layers, selection, history, message, dropdowns, blockout."""
    has = s.world is not None
    names = s.world.layer_names if has else []
    labels = sorted({x.label for x in s.world.layers}) if has else []
    objects = [r[0] for r in s.layout_rows()]
    n_views = len(s.cameras()) if has else 1
    return (
        s,
        s.preview() if has else None,
        s.stats_text() if has else "no world yet",
        s.layer_rows(),
        s.selection_text(),
        s.history_text(),
        message,
        gr.update(choices=names, value=[]),
        gr.update(choices=labels, value=None),
        gr.update(choices=names, value=None),
        s.layout_rows(),
        gr.update(choices=objects, value=None),
        gr.update(maximum=max(n_views - 1, 0), value=s.view_index),
    )


def _action(fn):
    """Wrap ``fn(session, *inputs) -> message``: refresh the views; Marble errors become a message."""

    @functools.wraps(fn)
    def run(state, *args, **kwargs):  # kwargs: a gr.Progress Gradio injects when ``fn`` asks for one
        s = _session(state)
        try:
            message = fn(s, *args, **kwargs) or ""
        except MarbleError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        return _view(s, message)

    return run


def _viewers(state):
    s = _session(state)
    if s.world is None:
        return None, None
    try:
        glb, ply = s.viewer_files()
    except MarbleError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    return (str(glb) if glb else None), (str(ply) if ply else None)


def _progress_fn(progress: gr.Progress):
    def report(stage: str, fraction: float, message: str = "") -> None:
        progress(fraction, desc=f"{stage} {message}".strip())

    return report


def build_app() -> gr.Blocks:
    """The editor UI (not launched)."""
    # delete_cache: Gradio's copies of served files older than 2 h are removed every hour
    with gr.Blocks(title="Marble editor", analytics_enabled=False, delete_cache=(3600, 7200)) as demo:
        state = gr.State(None, delete_callback=lambda s: s.close() if s is not None else None)
        gr.Markdown("# Marble editor\nPrompt or image in, an editable world of splats and meshes out.")
        with gr.Row():
            prompt = gr.Textbox(label="Prompt", placeholder="a cabin in a snowy pine forest at sunset", scale=3,
                                elem_id="prompt")
            image = gr.File(label="Image (optional)", type="filepath", scale=1, elem_id="image")
        with gr.Row():
            preset = gr.Dropdown(preset_choices(), value="draft", label="Preset", elem_id="preset")
            seed = gr.Number(0, precision=0, label="Seed", elem_id="seed")
            backend = gr.Dropdown(list(BACKENDS), value="embedded", label="Backend")
            model = gr.Textbox(label="Model (learned backend: hub id or folder)", placeholder="optional")
            generate = gr.Button("Generate", variant="primary", elem_id="generate")
        message = gr.Markdown(elem_id="message")
        with gr.Row():
            with gr.Column(scale=3):
                with gr.Tab("Preview"):
                    preview = gr.Image(label="Preview (selection in orange)", interactive=False, elem_id="preview")
                    view = gr.Slider(0, 1, value=0, step=1, label="View", elem_id="view")
                with gr.Tab("3D") as tab3d:  # opening the tab (re)loads the viewers, so they get a visible canvas
                    refresh3d = gr.Button("Update 3D views", elem_id="refresh3d")
                    meshes3d = gr.Model3D(label="Meshes (.glb)", elem_id="meshes3d")
                    splats3d = gr.Model3D(label="Splats (.ply)", elem_id="splats3d")
                stats = gr.Markdown("no world yet", elem_id="stats")
                layers = gr.Dataframe(headers=["layer", "label", "visible", "splats", "triangles", "selected"],
                                      label="Layers", interactive=False, elem_id="layers")
                history = gr.Markdown(elem_id="history")
                with gr.Row():
                    undo = gr.Button("Undo", elem_id="undo")
                    redo = gr.Button("Redo", elem_id="redo")
            with gr.Column(scale=2):
                with gr.Tab("Select"):
                    kind = gr.Radio(SELECT_KINDS, value="layer", label="Select by", elem_id="kind")
                    mode = gr.Radio(list(SELECT_MODES), value="replace", label="Combine")
                    layer_pick = gr.Dropdown([], multiselect=True, label="Layers", elem_id="layer_pick")
                    label_pick = gr.Dropdown([], label="Label")
                    with gr.Row():
                        cx, cy, cz = (gr.Number(0.0, label=f"centre {a}") for a in "xyz")
                    with gr.Row():
                        sx, sy, sz = (gr.Number(2.0, label=f"size {a}") for a in "xyz")
                    with gr.Row():
                        yaw = gr.Number(0.0, label="box yaw (deg)")
                        radius = gr.Number(1.0, label="sphere radius / grow (m)")
                    with gr.Row():
                        color = gr.ColorPicker("#808080", label="colour")
                        tolerance = gr.Slider(0.0, 1.0, value=0.15, label="colour tolerance")
                        below = gr.Slider(0.0, 1.0, value=0.2, label="opacity below")
                    with gr.Row():
                        points = gr.Textbox(label="rect / lasso: click points on the preview (or type x, y; x, y; ...)",
                                            placeholder="40, 30; 200, 150", elem_id="points", scale=4)
                        clear_points = gr.Button("Clear points", elem_id="clear_points", scale=1)
                    with gr.Row():
                        select = gr.Button("Select", variant="primary", elem_id="select")
                        invert = gr.Button("Invert")
                        grow = gr.Button("Grow")
                        clear = gr.Button("Clear")
                    selection = gr.Markdown(elem_id="selection")
                with gr.Tab("Edit"):
                    with gr.Row():
                        delete = gr.Button("Delete", variant="stop", elem_id="delete")
                        keep = gr.Button("Keep only")
                        duplicate = gr.Button("Duplicate")
                    with gr.Row():
                        dx, dy, dz = (gr.Number(0.0, label=f"move {a} (m)") for a in "xyz")
                        move = gr.Button("Move")
                    with gr.Row():
                        angle = gr.Number(45.0, label="angle (deg)")
                        axis = gr.Radio(["x", "y", "z"], value="y", label="axis")
                        rotate = gr.Button("Rotate")
                    with gr.Row():
                        factor = gr.Number(1.2, label="scale / colour factor")
                        scale = gr.Button("Scale")
                    with gr.Row():
                        cmode = gr.Radio(["set", "tint", "brightness", "saturation"], value="set", label="colour edit")
                        ccolor = gr.ColorPicker("#cc3333", label="colour")
                        recolor = gr.Button("Recolour")
                    with gr.Row():
                        opacity = gr.Slider(0.0, 1.0, value=0.5, label="opacity")
                        set_opacity = gr.Button("Set opacity")
                        floaters = gr.Button("Remove floaters")
                    with gr.Row():
                        new_name = gr.Textbox(label="name (separate / rename)")
                        separate = gr.Button("Separate")
                        rename_from = gr.Dropdown([], label="layer to rename / show / hide")
                        rename = gr.Button("Rename")
                    with gr.Row():
                        hide = gr.Button("Hide")
                        show = gr.Button("Show")
                    with gr.Row():
                        asset = gr.File(label="Compose: .marble / .ply / .spz / .glb / .obj", type="filepath")
                        compose = gr.Button("Add at move offset")
                with gr.Tab("Blockout"):
                    layout = gr.Dataframe(headers=["object", "label", "x", "y", "z", "width", "height", "depth", "yaw"],
                                          label="Blockout objects", interactive=False)
                    obj = gr.Dropdown([], label="Object")
                    obj_label = gr.Textbox(label="label (add / relabel)")
                    with gr.Row():
                        px, py, pz = (gr.Number(0.0, label=f"position {a}") for a in "xyz")
                    with gr.Row():
                        w_, h_, d_ = (gr.Number(1.0, label=s) for s in ("width", "height", "depth"))
                        oyaw = gr.Number(0.0, label="yaw (deg)")
                    with gr.Row():
                        b_add = gr.Button("Add")
                        b_move = gr.Button("Move")
                        b_resize = gr.Button("Resize")
                        b_relabel = gr.Button("Relabel")
                        b_delete = gr.Button("Delete object")
                    regenerate = gr.Button("Regenerate from blockout", variant="primary")
                with gr.Tab("Export"):
                    formats = gr.CheckboxGroup(export_format_choices(), value=["glb"], label="Formats", elem_id="formats")
                    profile = gr.Dropdown(profile_choices(), value="none", label="Profile")
                    export = gr.Button("Export", variant="primary", elem_id="export")
                    save = gr.Button("Save session (.marble)")
                    files = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="downloads")
                    bundle = gr.File(label="Open a .marble session", type="filepath")

        VIEW = [state, preview, stats, layers, selection, history, message, layer_pick, label_pick, rename_from,
                layout, obj, view]

        def on(button, fn, inputs=()):
            return button.click(_action(fn), inputs=[state, *inputs], outputs=VIEW, show_progress_on=[message])

        # ---- generate / views
        def do_generate(s, p, img, pre, sd, be, mdl, progress=gr.Progress()):
            s.generate(p, image=img, preset=pre, seed=sd, backend=be, model=mdl, progress=_progress_fn(progress))
            return f"generated: {s.stats_text()}"

        gen = generate.click(_action(do_generate), inputs=[state, prompt, image, preset, seed, backend, model], outputs=VIEW,
                             show_progress_on=[message], concurrency_id="heavy", concurrency_limit=1)
        gen.success(_viewers, inputs=[state], outputs=[meshes3d, splats3d])
        refresh3d.click(_viewers, inputs=[state], outputs=[meshes3d, splats3d])
        tab3d.select(_viewers, inputs=[state], outputs=[meshes3d, splats3d])
        view.release(_action(lambda s, i: s.set_view(i)), inputs=[state, view], outputs=VIEW, show_progress_on=[message])

        # ---- selection
        def do_select(s, k, m, lp, lb, x, y, z, a, b, c, yw, r, col, tol, bel, pts):
            drawn = points_for(k, pts)  # rect: the points' bounding box; lasso: their polygon
            return s.select(k, mode=m, layers=lp, label=lb, center=(x, y, z), size=(a, b, c), yaw_deg=yw, radius=r,
                            color=col, tolerance=tol, below=bel, rect=drawn if k == "rect" else None,
                            polygon=drawn if k == "lasso" else None)

        on(select, do_select, [kind, mode, layer_pick, label_pick, cx, cy, cz, sx, sy, sz, yaw, radius, color, tolerance,
                               below, points])

        def on_preview_click(img, pts, k, evt: gr.SelectData):  # a click adds a point and redraws the outline
            pts = add_point(pts, evt.index)
            return draw_points(img, pts, k), pts

        preview.select(on_preview_click, inputs=[preview, points, kind], outputs=[preview, points])

        def do_clear_points(state):
            s = _session(state)
            return (s.preview() if s.world is not None else None), ""

        clear_points.click(do_clear_points, inputs=[state], outputs=[preview, points])
        on(invert, lambda s: s.invert_selection())
        on(grow, lambda s, r: s.grow_selection(r), [radius])
        on(clear, lambda s: s.clear_selection())

        # ---- edits
        on(delete, lambda s: s.delete())
        on(keep, lambda s: s.keep_only())
        on(duplicate, lambda s, x, y, z: s.duplicate(x, y, z), [dx, dy, dz])
        on(move, lambda s, x, y, z: s.move(x, y, z), [dx, dy, dz])
        on(rotate, lambda s, a, ax: s.rotate(a, ax), [angle, axis])
        on(scale, lambda s, f: s.scale(f), [factor])
        on(recolor, lambda s, m, c, f: s.recolor(m, color=c, factor=f), [cmode, ccolor, factor])
        on(set_opacity, lambda s, o: s.set_opacity(o), [opacity])
        on(floaters, lambda s: s.remove_floaters())
        on(separate, lambda s, n: s.separate(n), [new_name])
        on(rename, lambda s, old, n: s.rename_layer(old, n), [rename_from, new_name])
        on(hide, lambda s, n: s.set_visible(n, False), [rename_from])
        on(show, lambda s, n: s.set_visible(n, True), [rename_from])
        on(compose, lambda s, f, x, y, z: s.import_asset(f, offset=(x, y, z)) if f else _need("an asset file"),
           [asset, dx, dy, dz])
        on(undo, lambda s: s.undo())
        on(redo, lambda s: s.redo())

        # ---- blockout
        on(b_add, lambda s, lb, x, y, z, a, b, c, yw: s.blockout_add(lb, (x, y, z), (a, b, c), yw),
           [obj_label, px, py, pz, w_, h_, d_, oyaw])
        on(b_move, lambda s, o, x, y, z, yw: s.blockout_move(o or _need("an object"), (x, y, z), yw), [obj, px, py, pz, oyaw])
        on(b_resize, lambda s, o, a, b, c: s.blockout_resize(o or _need("an object"), (a, b, c)), [obj, w_, h_, d_])
        on(b_relabel, lambda s, o, lb: s.blockout_relabel(o or _need("an object"), lb), [obj, obj_label])
        on(b_delete, lambda s, o: s.blockout_delete(o or _need("an object")), [obj])

        def do_regenerate(s, pre, progress=gr.Progress()):
            return s.regenerate(preset=pre, progress=_progress_fn(progress))

        on(regenerate, do_regenerate, [preset]).success(_viewers, inputs=[state], outputs=[meshes3d, splats3d])

        # ---- export / sessions
        def do_export(state, fmts, prof):
            s = _session(state)
            try:
                return s, [str(p) for p in s.export(fmts, profile=prof)]
            except MarbleError as exc:
                raise gr.Error(str(exc), print_exception=False) from None

        export.click(do_export, inputs=[state, formats, profile], outputs=[state, files])

        def do_save(state):
            s = _session(state)
            try:
                return s, [str(s.save_bundle())]
            except MarbleError as exc:
                raise gr.Error(str(exc), print_exception=False) from None

        save.click(do_save, inputs=[state], outputs=[state, files])
        bundle.upload(_action(lambda s, f: f"opened {Path(f).name}" if s.open_bundle(f) else ""),
                      inputs=[state, bundle], outputs=VIEW).success(_viewers, inputs=[state], outputs=[meshes3d, splats3d])
    return demo


class MarbleErrorInput(MarbleError):
    """A missing value in the form (shown as a message like any other bad input)."""


def _need(what: str):
    raise MarbleErrorInput(f"choose {what} first")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Marble editor (Gradio)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--share", action="store_true", help="create a public Gradio share link (off by default)")
    parser.add_argument("--max-file-size", default="64mb", help="largest upload (default 64mb)")
    parser.add_argument("--concurrency", type=int, default=2,
                        help="edit events processed at once (default 2; generation runs one at a time)")
    args = parser.parse_args(argv)
    ROOT.mkdir(parents=True, exist_ok=True)
    demo = build_app()
    demo.queue(default_concurrency_limit=args.concurrency)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, max_file_size=args.max_file_size,
                allowed_paths=[str(ROOT)], show_error=True, inbrowser=False)


if __name__ == "__main__":
    main()
