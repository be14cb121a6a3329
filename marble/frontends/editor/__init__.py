"""The editor's logic without Gradio: a session per browser tab, the viewport's data and commands,
autosave, and the words the editor shows. ``app.py`` only wires widgets to these."""

from marble.frontends.editor.inputs import add_point, draw_points, parse_color, parse_points, points_for
from marble.frontends.editor.session import BACKENDS, SELECT_MODES, Cancelled, EditorSession


def preset_choices() -> list[str]:
    """Preset names, from the preset table."""
    from marble.presets import PRESETS

    return list(PRESETS)


def profile_choices() -> list[str]:
    """``"none"`` and the VR/engine profiles, from the exporters' profile table."""
    from marble.api import profile_names

    return ["none", *profile_names()]


def export_format_choices() -> list[str]:
    """Formats that hold a world (splats and/or meshes), from the exporters' registry."""
    from exporters.registry import EXPORTERS

    return sorted(e.extension.lstrip(".") for e in EXPORTERS.values() if e.content != "other")


__all__ = ["BACKENDS", "Cancelled", "EditorSession", "SELECT_MODES", "add_point", "draw_points", "export_format_choices",
           "parse_color", "parse_points", "points_for", "preset_choices", "profile_choices"]
