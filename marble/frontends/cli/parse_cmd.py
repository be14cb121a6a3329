"""``marble parse "PROMPT"``: show how Marble reads a prompt (archetype, objects, relations, light)."""

from __future__ import annotations

import typer

from marble.frontends.cli.common import handle_errors


@handle_errors
def parse(
    prompt: str = typer.Argument(..., help='What to make, e.g. "a cabin in a snowy pine forest at sunset".'),
    as_json: bool = typer.Option(False, "--json", help="Print the SceneSpec as JSON instead of readable lines."),
    no_embeddings: bool = typer.Option(
        False, "--no-embeddings", help="Match words with the built-in word lists only (skips loading the text model)."),
) -> None:
    """Parse PROMPT into a SceneSpec: scene type, objects with counts, colours, materials and relations,
    time of day, weather, styles and moods, then what will be built, what is approximated (with its
    similarity; unknown nouns become their family's shape, labelled with your word) and what is not
    built (and why). A scene type matched below 0.5 is marked as a guess. Exit code 2 on an empty or
    too-long prompt."""
    from marble.text import describe_spec, parse_prompt

    spec = parse_prompt(prompt, embedder=False if no_embeddings else None)
    if as_json:
        typer.echo(spec.to_json())
    else:
        typer.echo(describe_spec(spec))
