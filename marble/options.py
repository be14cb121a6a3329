"""The options of one generation, validated once and handed whole to every route.

Text, image, blockout and learned routes all take the same :class:`GenerateOptions`, so an option
(``--refine``, ``--measure-fidelity``, the seed, the device) means the same on each and none is
dropped on the way::

    opts = GenerateOptions.create(preset="draft", seed=3, refine_steps=40)
    pipe(prompt, progress=progress, **opts.kwargs())
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from marble.errors import InputError
from marble.limits import check_seed
from marble.presets import Preset, get_preset

MAX_REFINE_STEPS = 1_000_000


def check_steps(steps, name: str = "steps") -> int:
    """Return ``steps`` if it is an integer in ``0..MAX_REFINE_STEPS``; else raise ``InputError`` naming ``name``."""
    if isinstance(steps, bool) or not isinstance(steps, (int, float, np.integer)) or int(steps) != steps \
            or not (0 <= steps <= MAX_REFINE_STEPS):
        raise InputError(f"`{name}` must be an integer in 0..{MAX_REFINE_STEPS}, got {steps!r}")
    return int(steps)


def check_device(device: str) -> str:
    """Return ``device`` (``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``) if this machine has it.

    Raises:
        InputError: an unknown device name, or CUDA asked for on a machine without a CUDA GPU.
    """
    if device in (None, "", "auto"):
        return "auto"
    from marble.device import (
        resolve_device,  # lazy: torch's CUDA probe only when a device is named
    )

    resolve_device(device)
    return str(device)


def resolve_refine_steps(requested: int | None, preset: Preset) -> int:
    """Refinement steps a generation runs: ``requested`` (checked), or when ``None`` the preset's
    ``refine_steps`` on a CUDA GPU and none on the CPU (where a step costs ~0.25 s on a draft world;
    ask for them explicitly)."""
    if requested is not None:
        return check_steps(requested, "refine_steps")
    import torch  # lazy: only the CUDA probe needs it

    return int(preset.refine_steps) if torch.cuda.is_available() else 0


@dataclass(frozen=True)
class GenerateOptions:
    """How one world is generated, whatever it is made from.

    Attributes:
        preset: the quality preset (view sizes, voxel size, splat cap, refinement steps).
        seed: 0..2**32-1; the same inputs, seed and preset give the same world, bit for bit on CPU.
        refine_steps: optimise the fused splats against their views for this many steps; ``None``
            means the preset's steps on a CUDA GPU and none on the CPU (see :meth:`resolved_refine_steps`).
        measure_fidelity: re-render the fused splats at the source cameras and record PSNR.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:N]"`` for learned components and refinement.
    """

    preset: Preset
    seed: int = 0
    refine_steps: int | None = None
    measure_fidelity: bool = False
    device: str = "auto"

    @classmethod
    def create(
        cls,
        *,
        preset: str | Preset = "standard",
        seed: int = 0,
        refine_steps: int | None = None,
        measure_fidelity: bool = False,
        device: str = "auto",
        names: dict[str, str] | None = None,
    ) -> "GenerateOptions":
        """Validated options (preset looked up by name).

        ``names`` maps a field to what the caller calls it in error messages (the CLI passes
        ``{"refine_steps": "--refine"}``).

        Raises:
            InputError: an unknown preset, a seed outside 0..2**32-1, bad refinement steps, or an
                unknown or missing device.
        """
        return cls(
            preset=get_preset(preset),
            seed=check_seed(seed),
            refine_steps=None if refine_steps is None else check_steps(refine_steps, (names or {}).get("refine_steps", "refine_steps")),
            measure_fidelity=bool(measure_fidelity),
            device=check_device(device),
        )

    def resolved_refine_steps(self) -> int:
        """Steps to refine (see :func:`resolve_refine_steps`)."""
        return resolve_refine_steps(self.refine_steps, self.preset)

    def kwargs(self) -> dict:
        """The per-run keyword arguments every pipeline's ``__call__`` takes."""
        return {"seed": self.seed, "preset": self.preset, "refine_steps": self.refine_steps,
                "measure_fidelity": self.measure_fidelity}


def resolve_options(options: GenerateOptions | None, overrides: dict) -> GenerateOptions:
    """``options`` as given, or built from keyword arguments (``preset=``, ``seed=``...), not both.

    Raises:
        InputError: both given, or an unknown option name.
    """
    if options is not None:
        if overrides:
            raise InputError(f"give either `options` or {sorted(overrides)}, not both")
        if not isinstance(options, GenerateOptions):
            raise InputError(f"`options` must be a GenerateOptions, got {type(options).__name__}")
        return options
    known = {"preset", "seed", "refine_steps", "measure_fidelity", "device"}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise InputError(f"unknown generation option(s) {unknown}; valid: {sorted(known)}")
    return GenerateOptions.create(**overrides)
