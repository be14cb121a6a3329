"""The layout's part of the report: which layers were made for each thing the prompt named."""

from __future__ import annotations

import copy
from dataclasses import replace

from marble.layout import LayoutObject, SceneSpec
from pipelines.procedural.styles import WorldLook


def finalize_report(spec: SceneSpec, objects: list[LayoutObject], origins: dict[str, int], look: WorldLook) -> SceneSpec:
    """A copy of ``spec`` whose report names the layers made for each object entry.

    An entry whose objects could not be placed at all moves to "not built" (why: no room); one
    placed only in part says how many. Style and mood entries list the props they added.
    """
    rep = copy.deepcopy(spec.report or {})
    if not rep:
        return spec
    layers: dict[int, list[str]] = {}
    for name, k in origins.items():
        layers.setdefault(k, []).append(name)
    by_source = {o.source: k for k, o in enumerate(spec.objects)}
    kept = {"built": [], "approximated": [], "not_built": list(rep.get("not_built", []))}
    for key in ("built", "approximated"):
        for e in rep.get(key, []):
            if e.get("kind") != "object":
                kept[key].append(e)
                continue
            k = by_source.get(e.get("words"))
            names = layers.get(k, []) if k is not None else []
            count = int(e.get("count", 0))
            e["layers"] = names
            e["placed"] = len(names)
            if count > 0 and not names:
                e["why"] = "no room was left to place it"
                kept["not_built"].append(e)
                continue
            if 0 < len(names) < count:
                e["note"] = (e.get("note", "") + "; " if e.get("note") else "") + f"{len(names)} of {count} fitted"
            kept[key].append(e)
    props = [o.name for o in objects if o.name not in origins and any(o.label == p[0] for p in look.props)]
    for e in kept["built"]:
        if e.get("kind") in ("style", "mood") and props:
            e["layers"] = props
    return replace(spec, report=kept)
