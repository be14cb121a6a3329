"""The editor session, kept importable under its old name: see :mod:`marble.frontends.editor`."""

from marble.frontends.editor import (  # noqa: F401
    BACKENDS,
    SELECT_MODES,
    Cancelled,
    EditorSession,
    add_point,
    draw_points,
    export_format_choices,
    parse_color,
    parse_points,
    points_for,
    preset_choices,
    profile_choices,
)
from marble.frontends.editor.inputs import MAX_POINTS  # noqa: F401
