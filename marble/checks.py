"""Checks of structures read from files or requests (layouts, lighting) before any stage uses them.

A blockout JSON, a ``.marble`` bundle's layout or an editor request can hold anything: these checks
make sure every number is finite and in a sensible range and every field has its type, so a bad file
gives one :class:`~marble.errors.FormatError` line instead of a crash or a corrupt world later.
"""

from __future__ import annotations

import math

from marble.errors import FormatError
from marble.layout import Layout, LayoutEnvironment, LayoutObject, Lighting

MAX_COORD = 1e5
"""Largest coordinate (metres) a layout position may have."""
MAX_SIZE = 1e4
"""Largest extent (metres) of an object, a room or an outdoor area."""
MAX_OBJECTS = 20_000


def _number(value, what: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)) \
            or not (lo <= float(value) <= hi):
        raise FormatError(f"{what} must be a number in {lo:g}..{hi:g}, got {_short(value)}")
    return float(value)


def _vector(value, what: str, lo: float, hi: float, n: int = 3) -> tuple[float, ...]:
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise FormatError(f"{what} must be {n} numbers, got {_short(value)}")
    return tuple(_number(v, what, lo, hi) for v in value)


def _text(value, what: str, max_len: int = 200) -> str:
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise FormatError(f"{what} must be a non-empty text of at most {max_len} characters, got {_short(value)}")
    return value


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_lighting(lt: Lighting, what: str = "lighting") -> Lighting:
    """``lt`` if every colour is in [0, 1] (with headroom to 4 for bright lights) and every number finite."""
    for key in ("sun_color", "ambient_color", "sky_top", "sky_horizon", "fog_color"):
        _vector(getattr(lt, key), f"{what} {key}", 0.0, 4.0)
    _vector(lt.sun_direction, f"{what} sun_direction", -1e3, 1e3)
    for key in ("sun_intensity", "ambient_intensity"):
        _number(getattr(lt, key), f"{what} {key}", 0.0, 100.0)
    _number(lt.fog_density, f"{what} fog_density", 0.0, 10.0)
    return lt


def check_environment(env: LayoutEnvironment) -> LayoutEnvironment:
    """The layout environment's fields, typed and in range."""
    _text(env.archetype, "layout environment archetype")
    if not isinstance(env.indoor, bool):
        raise FormatError(f"layout environment indoor must be true or false, got {_short(env.indoor)}")
    _number(env.extent, "layout environment extent", 0.1, MAX_SIZE)
    _text(env.ground_material, "layout environment ground_material")
    _text(env.wall_material, "layout environment wall_material")
    for key in ("ground_color", "wall_color"):
        if getattr(env, key) is not None:
            _vector(getattr(env, key), f"layout environment {key}", 0.0, 1.0)
    if env.room_size is not None:
        _vector(env.room_size, "layout environment room_size", 0.5, MAX_SIZE)
    elif env.indoor:
        raise FormatError("layout environment is indoor but has no room_size")
    check_lighting(env.lighting, "layout environment lighting")
    return env


def check_object(o: LayoutObject) -> LayoutObject:
    """One layout object's fields, typed and in range (positions finite, sizes positive)."""
    name = _text(o.name, "layout object name")
    _text(o.label, f"layout object {name!r} label")
    _vector(o.position, f"layout object {name!r} position", -MAX_COORD, MAX_COORD)
    _vector(o.size, f"layout object {name!r} size", 1e-3, MAX_SIZE)
    _number(o.yaw, f"layout object {name!r} yaw", -1e4, 1e4)
    _text(o.material, f"layout object {name!r} material")
    _vector(o.color, f"layout object {name!r} color", 0.0, 1.0)
    if o.parent is not None:
        _text(o.parent, f"layout object {name!r} parent")
    if isinstance(o.variant, bool) or not isinstance(o.variant, int):
        raise FormatError(f"layout object {name!r} variant must be an integer, got {_short(o.variant)}")
    if not isinstance(o.params, dict):
        raise FormatError(f"layout object {name!r} params must be an object, got {_short(o.params)}")
    return o


def check_layout(layout: Layout) -> Layout:
    """``layout`` if its environment and objects pass their checks and object names are unique.

    Raises:
        FormatError: the first problem, in one line naming the field.
    """
    check_environment(layout.environment)
    if len(layout.objects) > MAX_OBJECTS:
        raise FormatError(f"layout has {len(layout.objects)} objects, more than {MAX_OBJECTS}")
    names = set()
    for o in layout.objects:
        check_object(o)
        if o.name in names:
            raise FormatError(f"layout object name {o.name!r} is used twice")
        names.add(o.name)
    if isinstance(layout.seed, bool) or not isinstance(layout.seed, int) or not (0 <= layout.seed < 2**32):
        raise FormatError(f"layout seed must be an integer in 0..2^32-1, got {_short(layout.seed)}")
    return layout
