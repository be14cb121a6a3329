"""Values typed or clicked into the editor: colours and the points drawn on the preview image."""

from __future__ import annotations

import math

import numpy as np

from marble.errors import InputError


def parse_color(value) -> tuple[float, float, float]:
    """``"#ff8800"``, ``"rgb(255, 136, 0)"``, ``"rgba(...)"`` or 3 numbers in [0, 1] -> RGB in [0, 1].

    Raises:
        InputError: anything else.
    """
    if value is None or value == "":
        raise InputError("choose a colour")
    if isinstance(value, str):
        v = value.strip().lower()
        try:
            if v.startswith("#") and len(v) in (4, 7, 9):
                h = v[1:]
                if len(h) == 3:
                    h = "".join(c * 2 for c in h)
                return tuple(int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]
            if v.startswith("rgb"):
                nums = [float(x) for x in v[v.index("(") + 1:v.index(")")].split(",")[:3]]
                return tuple(min(max(x / 255.0, 0.0), 1.0) for x in nums)  # type: ignore[return-value]
        except ValueError:
            pass
        raise InputError(f"cannot read colour {value!r}: use #rrggbb or rgb(r, g, b)")
    vals = [float(x) for x in value]
    if len(vals) != 3 or not all(0.0 <= x <= 1.0 for x in vals):
        raise InputError(f"colour must be 3 values in [0, 1], got {value}")
    return (vals[0], vals[1], vals[2])


# ---------------------------------------------------------------------- points drawn on the preview
MAX_POINTS = 200


def parse_points(text: str | None) -> np.ndarray:
    """``"10, 20; 30, 40"`` (pixels in the preview) -> ``[P, 2]`` float64; ``""`` -> ``[0, 2]``.

    Raises:
        InputError: text that is not pairs of finite numbers separated by ``;``.
    """
    if text is None or not text.strip():
        return np.zeros((0, 2), np.float64)
    pts = []
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        try:
            xy = [float(v) for v in part.replace(" ", ",").split(",") if v.strip()]
        except ValueError:
            xy = []
        if len(xy) != 2 or not all(math.isfinite(v) for v in xy):
            raise InputError(f"cannot read point {part.strip()!r}: write points as x, y; x, y; ... (pixels)")
        pts.append(xy)
    if len(pts) > MAX_POINTS:
        raise InputError(f"{len(pts)} points, more than {MAX_POINTS}: draw a simpler outline")
    return np.asarray(pts, np.float64)


def add_point(text: str | None, xy) -> str:
    """Append pixel ``xy`` (a click on the preview) to a points text (see :func:`parse_points`)."""
    pts = parse_points(text)
    x, y = (int(round(float(v))) for v in xy)
    return "; ".join(f"{int(a)}, {int(b)}" for a, b in [*pts.tolist(), [x, y]][-MAX_POINTS:])


def points_for(kind: str, text: str | None):
    """The ``rect`` (x0, y0, x1, y1: the points' bounding box, >= 2 points) or lasso ``polygon``
    (``[P >= 3, 2]``) that selection ``kind`` takes from the clicked points; ``None`` for other kinds.

    Raises:
        InputError: too few points for the kind.
    """
    if kind not in ("rect", "lasso"):
        return None
    pts = parse_points(text)
    need = 2 if kind == "rect" else 3
    if len(pts) < need:
        raise InputError(f"click {need - len(pts)} more point(s) on the preview for a {kind} selection "
                         f"(or type them as x, y; x, y)")
    if kind == "rect":
        return [float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())]
    return pts


def draw_points(image, text: str | None, kind: str = "lasso"):
    """The preview ``image`` (``[H, W, 3]`` uint8) with the clicked points and their outline drawn on it.

    ``rect`` draws the points' bounding box, other kinds the closed polygon. Unreadable points draw
    nothing (the selection reports them).
    """
    from PIL import Image, ImageDraw

    if image is None:
        return None
    img = Image.fromarray(np.asarray(image, np.uint8)).convert("RGB")
    try:
        pts = [tuple(p) for p in parse_points(text).tolist()]
    except InputError:
        return np.asarray(img)
    draw = ImageDraw.Draw(img)
    colour = (0, 220, 255)
    if kind == "rect" and len(pts) >= 2:
        draw.rectangle(points_for("rect", text), outline=colour, width=2)
    elif len(pts) >= 2:
        draw.line(pts + ([pts[0]] if len(pts) >= 3 else []), fill=colour, width=2)
    for x, y in pts:
        draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
    return np.asarray(img)
