"""Entry point of the ``marble`` console script: assembles the commands defined in sibling modules.

Command modules import heavy libraries inside their functions, so ``marble --help`` stays fast.
"""

from __future__ import annotations

import os
import sys

import typer

from marble.frontends.cli import (
    batch_cmd,
    eval_cmd,
    export_cmd,
    generate_cmd,
    info_cmd,
    parse_cmd,
    render_cmd,
)
from marble.frontends.cli.common import EXIT_INTERRUPTED, say_interrupted

app = typer.Typer(
    name="marble",
    help=(
        "Marble turns a text prompt, an image or a blockout into an editable 3D world of Gaussian "
        "splats and meshes, and exports it to PLY, SPZ, GLB and USD. Run `marble COMMAND --help` for details."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.command("generate")(generate_cmd.generate)
app.command("parse")(parse_cmd.parse)
app.command("render")(render_cmd.render)
app.command("export")(export_cmd.export)
app.command("batch")(batch_cmd.batch)
app.command("info")(info_cmd.info)
app.command("eval")(eval_cmd.eval_world)


def main() -> None:
    """Console-script entry point (Ctrl-C anywhere: ``interrupted`` on stderr, exit code 130)."""
    from marble.interrupt import install, interrupted

    install()
    try:
        app()
    except KeyboardInterrupt:
        say_interrupted()
        _exit_now(EXIT_INTERRUPTED)
    except SystemExit as done:
        if interrupted():
            # Leave without interpreter finalization: a library interrupted half-way through its
            # import (open3d's pybind module, scipy) can fail there and turn 130 into 1 or SIGINT.
            # Files were already cleaned up while the interrupt unwound the stack.
            _exit_now(EXIT_INTERRUPTED)
        if _fast_exit_ok(sys.argv[1:]):
            # Every file is written, fsynced and renamed by now: skip the interpreter's teardown of
            # torch, open3d and scipy (1.1 s of a draft `marble generate`).
            _exit_now(done.code if isinstance(done.code, int) else (0 if done.code is None else 1))
        raise


SLOW_EXIT_COMMANDS = frozenset({"batch"})
"""Commands that leave through the interpreter's normal teardown (Ray shuts its local cluster down there)."""


def _fast_exit_ok(args: list[str]) -> bool:
    command = next((a for a in args if not a.startswith("-")), None)
    return command is not None and command not in SLOW_EXIT_COMMANDS


def _exit_now(code: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
