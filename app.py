"""Marble editor: a thin Gradio layer over ``marble.frontends.editor``.

    python app.py [--host 127.0.0.1] [--port 7860] [--share] [--max-file-size 64mb]

Each browser tab gets its own EditorSession (``gr.State``), so users never see each other's worlds;
errors appear as messages and leave the world unchanged. The 3D viewport (``marble/frontends/editor/web``)
sends its commands through the hidden ``vp_cmd`` box; all logic lives in ``marble``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
from pathlib import Path

from marble.frontends.editor.folders import editor_root, private_dir, sweep_sessions  # noqa: E402

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no phoning home
ROOT = editor_root()
# Gradio copies every file it serves (exports, uploads) into its cache: keep that in our private folder,
# not the machine-wide /tmp/gradio where every user could read it
os.environ.setdefault("GRADIO_TEMP_DIR", str(ROOT / "gradio"))

import gradio as gr  # noqa: E402

from marble.errors import MarbleError  # noqa: E402
from marble.frontends.editor import (  # noqa: E402
    BACKENDS, SELECT_MODES, EditorSession, add_point, draw_points, export_format_choices, points_for, preset_choices,
    profile_choices,
)
from marble.frontends.editor.autosave import Autosaver, describe, sweep  # noqa: E402
from marble.frontends.editor.feedback import humanize, understood  # noqa: E402
from marble.frontends.editor.files import describe_files  # noqa: E402
from marble.frontends.editor.server import install_routes, viewport_available  # noqa: E402

SELECT_KINDS = ["layer", "label", "box", "sphere", "color", "opacity", "rect", "lasso", "all"]
HEAD = '<link rel="stylesheet" href="marble/web/viewport.css"><script type="module" src="marble/web/viewport.js"></script>'
VIEWPORT_HTML = '<div class="mv-root"></div>'
NO_VIEWPORT = ("**The 3D viewport needs three.js**: run `npm ci` (or `scripts/setup.sh`) in the Marble folder and "
               "restart the app. The Preview tab works meanwhile.")
HINT = ("Click an object to pick its layer (Shift adds); drag to orbit, right-drag to pan, wheel to zoom. "
        "W/E/R move/rotate/scale, V/M/L/B pick/rect/lasso/brush, Del delete, Ctrl+Z/Ctrl+Y undo/redo, "
        "Ctrl+A all, Ctrl+I invert, F focus, H hide, Esc clear.")
# before Generate / Open: ask when the world has unsaved edits (the last input is the viewport state)
CONFIRM_JS = """(...args) => { let st = {}; try { st = JSON.parse(args[args.length - 1] || '{}'); } catch (e) {}
  if (st.unsaved > 0 && !window.confirm(`This replaces your world and its ${st.unsaved} unsaved edit(s). Continue?`))
    args[args.length - 1] = '__keep__';
  return args; }"""
CLIENT_JS = """(s, id) => { let v = sessionStorage.getItem('marble-editor-id');
  if (!v) { v = Array.from(crypto.getRandomValues(new Uint8Array(18)), b => b.toString(16).padStart(2, '0')).join('');
            sessionStorage.setItem('marble-editor-id', v); }
  return [s, v]; }"""


def _session(state: EditorSession | None) -> EditorSession:
    return state if state is not None else EditorSession(root=ROOT)


def _preview_of(state: EditorSession | None):
    """The still preview of the tab's world, or ``None`` before there is one."""
    return state.preview() if state is not None and state.world is not None else None


def _vp_state(s: EditorSession) -> str:
    return json.dumps({"token": s.token, "version": s.version, "unsaved": s.unsaved if s.world is not None else 0})


def _form(s: EditorSession):
    """Blockout form values (label, position, size, yaw): the picked object's, else no change."""
    vals = s.object_values(s.picked_object())
    if vals is None:
        return [gr.update()] * 8
    return [vals["label"], *vals["position"], *vals["size"], vals["yaw_deg"]]


def _view(s: EditorSession, message: str = ""):
    """Values for VIEW outputs (see ``build_app``)."""
    has = s.world is not None
    names = s.world.layer_names if has else []
    labels = sorted({x.label for x in s.world.layers}) if has else []
    objects = [r[0] for r in s.layout_rows()]
    n_views = len(s.cameras()) if has else 1
    picked = s.picked_object()
    return (
        s, s.stats_text() if has else "no world yet", s.layer_rows(), s.selection_text(), s.history_text(),
        humanize(message), gr.update(choices=names, value=[]), gr.update(choices=labels, value=None),
        gr.update(choices=names, value=None), s.layout_rows(),
        gr.update(choices=objects, value=picked) if picked else gr.update(choices=objects),
        gr.update(maximum=max(n_views - 1, 0), value=s.view_index), _vp_state(s), *_form(s),
    )


def _action(fn, *, preview: bool = False):
    """Wrap ``fn(session, *inputs) -> message``: refresh the views; Marble errors become a message."""

    @functools.wraps(fn)
    def run(state, *args, **kwargs):  # kwargs: a gr.Progress Gradio injects when ``fn`` asks for one
        s = _session(state)
        try:
            message = fn(s, *args, **kwargs) or ""
        except BaseException as exc:
            if state is None:  # a session made for this request is not kept by the tab: leave no folder behind
                s.close()
            if isinstance(exc, MarbleError):
                raise gr.Error(humanize(str(exc)), print_exception=False) from None
            raise
        out = _view(s, message)
        return (*out, s.preview() if s.world is not None else None) if preview else out

    return run


def _progress_fn(progress: gr.Progress):
    def report(stage: str, fraction: float, message: str = "") -> None:
        progress(fraction, desc=f"{stage} {message}".strip())

    return report


def build_app() -> gr.Blocks:
    """The editor UI (not launched)."""
    with gr.Blocks(title="Marble editor", analytics_enabled=False, delete_cache=(3600, 7200)) as demo:
        state = gr.State(None, delete_callback=lambda s: s.close() if s is not None else None)
        gr.Markdown("# Marble editor\nPrompt or image in, an editable world of splats and meshes out.")
        with gr.Row():
            with gr.Column(scale=3):
                prompt = gr.Textbox(label="Prompt", placeholder="a cabin in a snowy pine forest at sunset", elem_id="prompt")
                with gr.Row():
                    image = gr.File(label="Image (optional)", type="filepath", elem_id="image")
                    preset = gr.Dropdown(preset_choices(), value="draft", label="Preset", elem_id="preset")
                    seed = gr.Number(0, precision=0, label="Seed", elem_id="seed")
                    backend = gr.Dropdown(list(BACKENDS), value="embedded", label="Backend")
                    model = gr.Textbox(label="Model (learned backend: hub id or folder)", placeholder="optional")
                with gr.Accordion("From photos, a video or a 360 panorama", open=False, elem_id="capture"):
                    with gr.Row():
                        photos = gr.File(label="Photos (several overlapping views of one place)", file_count="multiple",
                                         type="filepath", elem_id="photos")
                        video = gr.File(label="Video (walk or orbit, up to 2 min)", type="filepath", elem_id="video")
                        panorama = gr.File(label="360 panorama (2:1)", type="filepath", elem_id="panorama")
                        camera_height = gr.Number(1.6, label="Camera height (m)", elem_id="camera_height")
                with gr.Row():
                    generate = gr.Button("Generate", variant="primary", elem_id="generate")
                    cancel = gr.Button("Cancel", variant="stop", elem_id="cancel")
            understood_box = gr.Markdown(elem_id="understood")
        message = gr.Markdown(elem_id="message")
        with gr.Row(visible=False, elem_id="restore_row") as restore_row:
            restore_text = gr.Markdown(elem_id="restore_text")
            restore = gr.Button("Restore", variant="primary", elem_id="restore")
            discard = gr.Button("Discard", elem_id="discard")
        with gr.Row():
            with gr.Column(scale=3):
                with gr.Tab("3D", elem_id="tab3d"):
                    gr.HTML(VIEWPORT_HTML if viewport_available() else "", elem_id="viewport")
                    gr.Markdown(HINT if viewport_available() else NO_VIEWPORT, elem_id="viewport_hint")
                with gr.Tab("Preview") as tab_preview:
                    preview = gr.Image(label="Preview (selection in orange)", interactive=False, elem_id="preview")
                    view = gr.Slider(0, 1, value=0, step=1, label="View", elem_id="view")
                stats = gr.Markdown("no world yet", elem_id="stats")
                layers = gr.Dataframe(headers=["layer", "label", "visible", "splats", "triangles", "selected"],
                                      label="Layers (click a row to select it, its 'visible' cell to show/hide it)",
                                      interactive=False, elem_id="layers")
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
                        points = gr.Textbox(label="rect / lasso on the Preview: click points (or type x, y; x, y; ...)",
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
                        cmode = gr.Radio(["set", "tint", "brightness", "saturation"], value="set", label="colour edit",
                                         elem_id="cmode")
                        ccolor = gr.ColorPicker("#cc3333", label="colour", elem_id="ccolor")
                        recolor = gr.Button("Recolour", elem_id="recolor")
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
                    gr.Markdown("Pick an object (or a box with **Blockout** on in the 3D view) to fill these in. "
                                "Moving or turning a box moves its layer at once; a new size or label needs **Regenerate**.")
                    obj = gr.Dropdown([], label="Object", elem_id="obj", allow_custom_value=True)
                    obj_label = gr.Textbox(label="label (add / relabel)", elem_id="obj_label")
                    with gr.Row():
                        px, py, pz = (gr.Number(0.0, label=f"position {a}", elem_id=f"pos_{a}") for a in "xyz")
                    with gr.Row():
                        w_, h_, d_ = (gr.Number(1.0, label=s, elem_id=f"size_{s}") for s in ("width", "height", "depth"))
                        oyaw = gr.Number(0.0, label="yaw (deg)", elem_id="oyaw")
                    with gr.Row():
                        b_add = gr.Button("Add")
                        b_move = gr.Button("Move / turn", elem_id="b_move")
                        b_resize = gr.Button("Resize", elem_id="b_resize")
                        b_relabel = gr.Button("Relabel")
                        b_delete = gr.Button("Delete object")
                    regenerate = gr.Button("Regenerate from blockout", variant="primary", elem_id="regenerate")
                    layout = gr.Dataframe(headers=["object", "label", "x", "y", "z", "width", "height", "depth", "yaw"],
                                          label="Blockout objects", interactive=False, elem_id="layout")
                with gr.Tab("Export"):
                    formats = gr.CheckboxGroup(export_format_choices(), value=["glb"], label="Formats", elem_id="formats")
                    profile = gr.Dropdown(profile_choices(), value="none", label="Profile", elem_id="profile")
                    export = gr.Button("Export", variant="primary", elem_id="export")
                    save = gr.Button("Save session (.marble)", elem_id="save")
                    files = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="downloads")
                    files_text = gr.Markdown(elem_id="downloads_text")
                    bundle = gr.File(label="Open a .marble session", type="filepath", elem_id="bundle")
        with gr.Row(elem_classes=["mv-hidden"]):  # the viewport's channel to the session (hidden, but in the page)
            vp_state = gr.Textbox(elem_id="vp_state", container=False)
            vp_cmd = gr.Textbox(elem_id="vp_cmd", container=False)
            vp_run = gr.Button("run", elem_id="vp_run")
            client_id = gr.Textbox(elem_id="client_id", container=False)

        VIEW = [state, stats, layers, selection, history, message, layer_pick, label_pick, rename_from, layout, obj, view,
                vp_state, obj_label, px, py, pz, w_, h_, d_, oyaw]

        def on(button, fn, inputs=(), **kw):
            return button.click(_action(fn), inputs=[state, *inputs], outputs=VIEW, show_progress_on=[message], **kw)

        # ---- page load: a slot for autosaves, and an offer to restore the last one
        def hello(state, cid):
            s = _session(state)
            try:
                s.autosaver = Autosaver(ROOT, cid)
            except MarbleError:
                return s, gr.update(visible=False), ""
            info = s.autosaver.keep_for_restore()
            return s, gr.update(visible=info is not None), describe(info)

        demo.load(hello, inputs=[state, client_id], outputs=[state, restore_row, restore_text], js=CLIENT_JS)

        def do_restore(s):
            if s.autosaver is None or s.autosaver.restore_info() is None:
                return "nothing to restore"
            s.open_bundle(s.autosaver.restore_bundle())
            s.unsaved = len(s.history.undo_stack)
            return f"restored your autosaved world: {s.stats_text()}"

        restore.click(_action(do_restore), inputs=[state], outputs=VIEW).then(lambda: gr.update(visible=False),
                                                                              outputs=[restore_row])
        discard.click(lambda s: (s.autosaver.discard_restore() if s is not None and s.autosaver else None,
                                 gr.update(visible=False))[1], inputs=[state], outputs=[restore_row])

        # ---- generate
        prompt.change(understood, inputs=[prompt], outputs=[understood_box], trigger_mode="always_last",
                      show_progress="hidden")

        def do_generate(s, p, img, pre, sd, be, mdl, phs, vid, pano, ch, guard, progress=gr.Progress()):
            if guard == "__keep__":
                return "kept your world (Generate cancelled)"
            progress(0.0, desc="starting")
            s.generate(p, image=img, preset=pre, seed=sd, backend=be, model=mdl, photos=phs, video=vid, panorama=pano,
                       camera_height=ch, progress=_progress_fn(progress))
            return f"generated: {s.stats_text()}"

        gen = generate.click(_action(do_generate, preview=True), inputs=[state, prompt, image, preset, seed, backend, model,
                                                                         photos, video, panorama, camera_height,
                                                                         vp_state],
                             outputs=[*VIEW, preview], show_progress_on=[message], concurrency_id="heavy",
                             concurrency_limit=1, js=CONFIRM_JS)
        cancel.click(lambda s: s.cancel() if s is not None else None, inputs=[state], outputs=None, queue=False)

        # ---- the viewport, the layer list, the still preview
        # every command runs, in order (the default "once" would drop a key pressed while one is pending)
        vp_run.click(_action(lambda s, text: s.run_command(text)), inputs=[state, vp_cmd], outputs=VIEW,
                     show_progress="hidden", trigger_mode="multiple", concurrency_id="viewport", concurrency_limit=1)

        def on_layer_row(s, evt: gr.SelectData):
            row, col = evt.index
            name = s.require_world().layers[int(row)].name
            return s.set_visible([name], not s.world.layer(name).visible) if int(col) == 2 else s.select_layer(name)

        layers.select(_action(on_layer_row), inputs=[state], outputs=VIEW, show_progress="hidden")
        tab_preview.select(_preview_of,
                           inputs=[state], outputs=[preview])
        view.release(_action(lambda s, i: s.set_view(i), preview=True), inputs=[state, view], outputs=[*VIEW, preview])

        # ---- selection from the forms
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
        clear_points.click(lambda st: (_preview_of(st), ""),
                           inputs=[state], outputs=[preview, points])
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

        # ---- blockout (yaw typed in the form is used; moving keeps it when unchanged)
        on(b_add, lambda s, lb, x, y, z, a, b, c, yw: s.blockout_add(lb, (x, y, z), (a, b, c), yw),
           [obj_label, px, py, pz, w_, h_, d_, oyaw])
        on(b_move, lambda s, o, x, y, z, yw: s.blockout_move(o or _need("an object"), (x, y, z), yw), [obj, px, py, pz, oyaw])
        on(b_resize, lambda s, o, a, b, c: s.blockout_resize(o or _need("an object"), (a, b, c)), [obj, w_, h_, d_])
        on(b_relabel, lambda s, o, lb: s.blockout_relabel(o or _need("an object"), lb), [obj, obj_label])
        on(b_delete, lambda s, o: s.blockout_delete(o or _need("an object")), [obj])

        def do_regenerate(s, pre, progress=gr.Progress()):
            return s.regenerate(preset=pre, progress=_progress_fn(progress))

        regenerate.click(_action(do_regenerate), inputs=[state, preset], outputs=VIEW, show_progress_on=[message],
                         concurrency_id="heavy", concurrency_limit=1)

        # ---- export / sessions
        def do_export(state, fmts, prof):
            s = _session(state)
            try:
                out = s.export(fmts, profile=prof)
            except MarbleError as exc:
                raise gr.Error(humanize(str(exc)), print_exception=False) from None
            return s, [str(p) for p in out], describe_files(out, prof)

        export.click(do_export, inputs=[state, formats, profile], outputs=[state, files, files_text])

        def do_save(state):
            s = _session(state)
            try:
                path = s.save_bundle()
            except MarbleError as exc:
                raise gr.Error(humanize(str(exc)), print_exception=False) from None
            return s, [str(path)], describe_files([path]), _vp_state(s)

        save.click(do_save, inputs=[state], outputs=[state, files, files_text, vp_state])

        def do_open(s, f, guard):
            if guard == "__keep__":
                return "kept your world (Open cancelled)"
            s.open_bundle(f)
            return f"opened {Path(f).name}: {s.stats_text()}"

        bundle.upload(_action(do_open), inputs=[state, bundle, vp_state], outputs=VIEW, js=CONFIRM_JS)
    return demo


class MarbleErrorInput(MarbleError):
    """A missing value in the form (shown as a message like any other bad input)."""


def _need(what: str):
    raise MarbleErrorInput(f"choose {what} first")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Marble editor (Gradio): generate a world, edit it in a live 3D "
                                                 "viewport, export it.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--share", action="store_true", help="create a public Gradio share link (off by default)")
    parser.add_argument("--max-file-size", default="64mb", help="largest upload (default 64mb)")
    parser.add_argument("--concurrency", type=int, default=2,
                        help="edit events processed at once (default 2; generation runs one at a time)")
    args = parser.parse_args(argv)
    try:
        private_dir(ROOT)
        if Path(os.environ["GRADIO_TEMP_DIR"]).resolve() == (ROOT / "gradio").resolve():
            private_dir(ROOT / "gradio")
    except (MarbleError, OSError) as exc:
        raise SystemExit(f"error: {exc}") from None
    sweep(ROOT)
    sweep_sessions(ROOT)
    demo = build_app()
    demo.queue(default_concurrency_limit=args.concurrency)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, max_file_size=args.max_file_size,
                allowed_paths=[str(ROOT)], show_error=True, inbrowser=False, head=HEAD, prevent_thread_lock=True)
    install_routes(demo.app)
    demo.block_thread()


if __name__ == "__main__":
    main()
