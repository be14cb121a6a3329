"""One place that decides where tensors live: CUDA when present, else CPU."""

from __future__ import annotations

import torch

from marble.errors import InputError


def resolve_device(preference: str | torch.device | None = None) -> torch.device:
    """Return the device to compute on.

    Args:
        preference: ``None`` or ``"auto"`` picks ``cuda`` when available, else ``cpu``;
            ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` ask for one explicitly.

    Raises:
        InputError: CUDA was asked for on a machine without it, or the name is unknown.
    """
    if isinstance(preference, torch.device):
        preference = str(preference)
    if preference in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(preference)
    except (RuntimeError, TypeError) as exc:
        raise InputError(f"unknown device {preference!r}: use auto, cpu or cuda[:N]") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {preference!r} asked for but no CUDA GPU is available: use --device cpu")
    if device.type not in ("cpu", "cuda"):
        raise InputError(f"unsupported device {preference!r}: use auto, cpu or cuda[:N]")
    return device
