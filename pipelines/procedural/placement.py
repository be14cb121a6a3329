"""Procedural layout synthesis: SceneSpec -> Layout (what goes where), seeded and deterministic.

The algorithm, in order:

1. The environment: ground/wall materials from the archetype (snow when it snows), the room size
   indoors (grown when the prompt asks for a lot of furniture), lighting from :func:`lighting_for`.
2. The plan: the prompt's objects (counts, colours, materials, relations) plus the archetype's
   typical contents (counts drawn from the seed) unless the prompt names that kind of thing; naming
   one tree kind ("pine forest") replaces the archetype's other trees. Implicit relations (chairs
   around the table, a computer on the desk) are added where the prompt gives none.
3. Placement by rejection sampling of oriented boxes: backdrop (mountains beyond the edge), the
   prompt's named objects near the centre facing it, big things at the edges or along the street,
   the rest scattered; then objects with relations next to / on / around their targets. Nothing
   interpenetrates (oriented footprint + height overlap test), and nothing stands in the clear
   zones kept for cameras (:func:`clear_zones`): a disc at the centre, the walk path, indoors the
   room centre, the corners and the doorway.
"""

from __future__ import annotations

import numpy as np

from marble.errors import InputError
from marble.layout import (
    Layout,
    SceneSpec,
)
from marble.presets import Preset
from pipelines.procedural.placer import Placer
from pipelines.procedural.plan import check_spec, plan_environment, plan_items
from pipelines.procedural.report import finalize_report
from pipelines.procedural.styles import world_look


def synthesize_layout(spec: SceneSpec, *, seed: int, preset: Preset | None = None) -> Layout:
    """Lay out a scene: environment plus placed, sized, coloured objects.

    Args:
        spec: what the prompt asks for (archetype, objects, relations, time of day, weather).
        seed: any integer; the same spec and seed give the same layout, bit for bit.
        preset: unused by the placement itself (layouts are preset-independent so a draft and a
            high-quality run of the same seed show the same scene); accepted for symmetry.

    Returns:
        A :class:`marble.layout.Layout` whose objects have unique names (``"chair_0"``, ``"couch_0"``
        for the user's own word), ``label`` = category key (or the user's word for an unknown noun
        built from its family), sizes inside the vocabulary's ranges, and ``spec`` a copy of the
        input whose ``report`` lists the layers made for each thing the prompt named (and moves
        what could not be placed to "not built").

    Raises:
        InputError: unknown archetype/category/material/relation, or a count outside ``0..200``.
    """
    check_spec(spec)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise InputError(f"`seed` must be an integer, got {seed!r}")
    # The spec's digest joins the seed: prompts that mean different things never share a layout.
    digest = int(spec.digest()[:15], 16)
    rng = np.random.default_rng([int(seed) % (1 << 64), 0x1A7047, digest])
    look = world_look(spec)
    items = plan_items(spec, rng, look)
    env = plan_environment(spec, items, rng, look)
    placer = Placer(env, spec, rng, look)
    objects = placer.place_all(items)
    spec = finalize_report(spec, objects, placer.origins, look)
    return Layout(environment=env, objects=objects, seed=int(seed), spec=spec)


