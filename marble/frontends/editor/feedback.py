"""Words the editor shows: what Marble understood of a prompt, and messages made human."""

from __future__ import annotations

import re

MAX_UNDERSTOOD_CHARS = 2000


def understood(prompt: str | None) -> str:
    """What Marble makes of ``prompt``, as Markdown for the box beside it ("" for an empty prompt).

    This is :func:`marble.text.describe_spec` of the parse: archetype, time, weather, styles, objects
    with counts, colours, materials and relations, then the report of what each phrase becomes
    (built / approximated / not built, and why), the same lines ``marble parse`` prints.
    """
    text = (prompt or "").strip()
    if not text:
        return ""
    from marble.errors import InputError
    from marble.text import describe_spec, parse_prompt

    try:
        spec = parse_prompt(text[:MAX_UNDERSTOOD_CHARS])
    except InputError as exc:
        return f"_{exc}_"
    lines = describe_spec(spec).splitlines()[1:]  # the prompt itself is already on screen
    return "**What Marble understood**\n```\n" + "\n".join(lines) + "\n```"


_FLOAT = re.compile(r"(?<![\w.])(-?\d+\.\d{4,})(?![\d])")


def humanize(message: str) -> str:
    """Round long floats in a message (``0.800000011920929`` -> ``0.8``) and tidy its spacing."""
    def short(m: re.Match) -> str:
        v = float(m.group(1))
        return f"{v:.2f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:.0f}"

    return _FLOAT.sub(short, str(message or "")).strip()
