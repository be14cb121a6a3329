"""Placement rules for water and special arrangements, mixed into :class:`~pipelines.procedural.placer.Placer`.

Rivers cross the area, the sea fills its far side, boats, ducks and fish go in water bodies, bridges
span rivers ("over"), piers reach out over the sea, vineyards, pews and desks stand in rows, and
underwater things float.
"""

from __future__ import annotations

import math

from marble.layout import LayoutObject
from marble.vocab import OBJECTS
import pipelines.procedural.rules as rules
from pipelines.procedural.plan import Item
from pipelines.procedural.zones import CLEAR_RADIUS_OUTDOOR


class SpecialPlacement:
    """Candidate generators and the "over" relation; needs the Placer's env, rng, objects, slot and helpers."""

    # ------------------------------------------------------------------ water, rows, floating
    def _waters(self) -> list[LayoutObject]:
        return [o for o in self.objects if (o.params.get("category") or o.label) in rules.WATER
                and o.label not in ("waterfall",)]

    def _span_candidate(self, it, size, attempt):
        """Rivers cross the whole area (along Z, off the centre); bridges and tracks span them or stand free."""
        E = self.env.extent
        if it.category in rules.WATER:
            size[2] = 2 * E + 6.0
            x = self._u(0.3, 0.55) * E * (1 if self.rng.uniform() < 0.5 else -1)
            return (x, 0.0, 0.0), self._u(-0.08, 0.08)
        return None

    def _sea_candidate(self, it, size, attempt):
        """The sea fills the far side (+Z) of the area out past its edge (harbours, islands, coasts)."""
        E = self.env.extent
        if it.category != "sea":
            return None
        size[0] = 2 * E + 40.0
        size[2] = max(size[2], 0.45 * E + 20.0)
        z = E * 0.55 + size[2] / 2
        return (0.0, 0.0, z), 0.0

    def _water_candidate(self, it, size, attempt):
        """Boats, ducks and fish go on or in a water body when there is one."""
        waters = self._waters()
        if not waters:
            return None
        w = waters[attempt % len(waters)]
        tb = self._tbox(w)
        lx = self._u(-0.8, 0.8) * max(0.1, tb.hx - max(size[0], size[2]) / 2)
        lz = self._u(-0.8, 0.8) * max(0.1, tb.hz - max(size[0], size[2]) / 2)
        if w.label == "sea":
            lz = self._u(-0.9, -0.2) * tb.hz
        x, z = tb.to_world(lx, lz)
        sink = 0.5 * size[1] if OBJECTS[it.category].family == "fish" else 0.0
        y = max(0.0, w.size[1] - sink) if OBJECTS[it.category].family == "fish" else w.size[1] * 0.5
        return (x, y, z), w.yaw + self._u(-math.pi, math.pi) if it.category not in ("ship", "sailboat") else w.yaw + math.pi / 2

    def _float_candidate(self, it, size, attempt):
        """Underwater: swimmers float between the sea floor and the surface."""
        E = self.env.extent * 0.8
        x, z = self._u(-E, E), self._u(-E, E)
        return (x, self._u(0.8, 5.0), z), self._u(-math.pi, math.pi)

    def _row_candidate(self, it, size, attempt):
        """Vineyard rows, pews and school desks in parallel rows facing -Z... +Z."""
        if self.env.indoor:
            W, _, D = self.env.room_size
            n = self.slot.get(("row", it.category), 0)
            cols = max(1, int((W - 1.2) / (size[0] + 0.4)))
            r, c = divmod(n + attempt, cols)
            x = -W / 2 + 0.6 + (c + 0.5) * (W - 1.2) / cols
            z = -D / 2 + 1.4 + r * (size[2] + 0.7)
            if attempt == 0:
                self.slot[("row", it.category)] = n + 1
            return (x, 0.0, z), 0.0
        E = self.env.extent
        n = self.slot.get(("row", it.category), 0)
        if attempt == 0:
            self.slot[("row", it.category)] = n + 1
        k = n + attempt
        side = -1 if k % 2 == 0 else 1
        z = side * (CLEAR_RADIUS_OUTDOOR + 1.0 + (k // 2) * 2.4)
        return (self._u(-0.2, 0.2) * E, 0.0, z), 0.0

    def _place_over(self, it: Item, size, target: LayoutObject) -> LayoutObject | None:
        """"a bridge over a river": across a water body at a crossing; otherwise above the target."""
        tb = self._tbox(target)
        water = (target.params.get("category") or target.label) in rules.WATER
        for attempt in range(30):
            if water and target.label != "sea":
                # across the water's short side, centred on it; the bridge's length (z) spans the width (x)
                span = target.size[0] + 3.0
                size = size.copy()
                size[2] = max(span, 6.0)
                lz = self._u(-0.25, 0.25) * tb.hz if attempt else 0.0
                x, z = tb.to_world(0.0, lz)
                yaw = target.yaw + math.pi / 2
                y = 0.0
            elif water:  # a pier reaching out over the sea from its shore
                x, _ = tb.to_world(self._u(-0.3, 0.3) * tb.hx, 0.0)
                z = target.position[2] - tb.hz + size[2] / 2 - 2.0
                yaw, y = 0.0, 0.0
            else:
                x, z = tb.to_world(self._u(-0.2, 0.2) * tb.hx, self._u(-0.2, 0.2) * tb.hz)
                yaw, y = target.yaw, target.position[1] + target.size[1] + 0.5 + attempt * 0.2
            box = self._box(size, (x, y, z), yaw, it.category)
            if self._ok(box, it.category, zones=False, bounds=False, ignore={target.name}):
                return self._commit(it, tuple(size), (x, y, z), yaw)
        return None

