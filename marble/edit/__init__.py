"""Edit operations on a World: delete, crop, transform, duplicate, separate, recolour, opacity,
floater removal, compose (merge a world or an imported asset), layer renames and blockout edits.

Each operation is an object with ``apply(world)`` / ``undo(world)`` (see :mod:`marble.edit.history`);
build one, then hand it to a :class:`~marble.edit.history.History` so it can be undone::

    from marble import edit
    from marble.edit import selection as S
    from marble.edit.history import History

    hist = History()
    sel = S.select_box(world, lo=(-1, 0, -1), hi=(1, 2, 1))
    hist.apply(world, edit.Delete(sel))
    hist.apply(world, edit.translate(world, S.select_layers(world, "chair_1"), (0.5, 0, 0)))
    hist.undo(world)

Selections are per-layer masks in world space (:mod:`marble.edit.selection`). A layer selected WHOLE
is edited as a layer: its transform changes (splats and mesh move together), its mesh is
recoloured with its splats, and deleting it removes the layer. A partial selection edits splats
only. Every operation checks its inputs before touching the world, so a rejected edit (empty
selection, NaN in a transform, unknown layer) raises ``InputError`` and changes nothing.
"""

from marble.edit.appearance import COLOR_MODES, Recolor, SetOpacity, describe_color_edit
from marble.edit.blockout import (
    BLOCKOUT_BASE_KEY,
    LayoutEdit,
    ReplaceLayers,
    add_object,
    changed_objects,
    delete_object,
    plan_regenerate,
    regenerate,
    relabel_object,
    resize_object,
)
from marble.edit.compose import (
    ASSET_SUFFIXES,
    AddLayers,
    import_asset,
    load_asset,
    merge,
)
from marble.edit.delete import Delete, crop, remove_floaters, select_floaters
from marble.edit.layers import RenameLayer, SetLayer
from marble.edit.objects import move_object, regeneration_report, remove_object
from marble.edit.objects import delete as delete_with_objects
from marble.edit.objects import transform as transform_with_objects
from marble.edit.steps import Steps
from marble.edit.transform import (
    Duplicate,
    Separate,
    Transform,
    axis_angle_matrix,
    rotate,
    scale,
    selection_center,
    translate,
)

__all__ = [
    "ASSET_SUFFIXES", "AddLayers", "BLOCKOUT_BASE_KEY", "COLOR_MODES", "Delete", "Duplicate", "LayoutEdit",
    "Recolor", "RenameLayer", "ReplaceLayers", "Separate", "SetLayer", "SetOpacity", "Steps", "Transform", "add_object",
    "delete_with_objects", "describe_color_edit", "regeneration_report", "remove_object", "transform_with_objects",
    "axis_angle_matrix", "changed_objects", "crop", "delete_object", "import_asset", "load_asset", "merge",
    "move_object", "plan_regenerate", "regenerate", "relabel_object", "remove_floaters", "resize_object", "rotate",
    "scale", "select_floaters", "selection_center", "translate",
]
