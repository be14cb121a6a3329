"""Devices, dtypes and memory options for learned pipelines (CPU offload, attention slicing)."""

from __future__ import annotations

import torch

from marble.device import resolve_device
from marble.errors import InputError

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """``"auto"`` -> fp16 on CUDA, fp32 on CPU; ``"fp32"``/``"fp16"``/``"bf16"`` as asked.

    Raises:
        InputError: unknown name, or fp16 on the CPU (too slow and unsupported by some kernels).
    """
    key = (dtype or "auto").strip().lower()
    if key == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    if key not in DTYPES:
        raise InputError(f"`dtype` must be auto, fp32, fp16 or bf16, got {dtype!r}")
    if key == "fp16" and device.type != "cuda":
        raise InputError("`dtype` fp16 needs a CUDA device: use --dtype fp32 (or bf16) on the CPU")
    return DTYPES[key]


def place(pipe, *, device: torch.device, cpu_offload: bool = False, attention_slicing: bool = False):
    """Move a diffusers pipeline to ``device`` with the memory options; returns it.

    ``cpu_offload`` (CUDA only) keeps each sub-model on the CPU until it runs
    (``enable_model_cpu_offload``); ``attention_slicing`` computes attention in slices.
    """
    if device.type == "cuda" and cpu_offload:
        pipe.enable_model_cpu_offload(gpu_id=device.index or 0)
    else:
        pipe.to(device)
    if attention_slicing and hasattr(pipe, "enable_attention_slicing"):
        pipe.enable_attention_slicing()
    if hasattr(pipe, "set_progress_bar_config"):
        pipe.set_progress_bar_config(disable=True)
    return pipe


def generator(seed: int) -> torch.Generator:
    """A CPU generator: the same seed gives the same noise whatever the device."""
    return torch.Generator(device="cpu").manual_seed(int(seed))


def peak_memory_bytes(device: torch.device) -> int | None:
    """Peak CUDA memory allocated since the last reset, or ``None`` on the CPU."""
    if device.type != "cuda":
        return None
    return int(torch.cuda.max_memory_allocated(device))


__all__ = ["DTYPES", "generator", "peak_memory_bytes", "place", "resolve_device", "resolve_dtype"]
