import os

import pytest
import torch

from marble.device import resolve_device
from marble.errors import InputError
from marble.io import (
    atomic_write,
    ensure_output_dir,
    resolve_under,
    sanitize_name,
    write_text_atomic,
)
from marble.limits import limits
from marble.presets import PRESETS, get_preset


def test_atomic_write_replaces_or_leaves_previous(tmp_path):
    p = tmp_path / "a.txt"
    write_text_atomic(p, "one")
    assert p.read_text() == "one"
    with pytest.raises(ZeroDivisionError):
        with atomic_write(p, "w") as fh:
            fh.write("two")
            1 / 0
    assert p.read_text() == "one"
    assert sorted(os.listdir(tmp_path)) == ["a.txt"]
    mask = os.umask(0o022)
    os.umask(mask)
    assert p.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's private 0600


@pytest.mark.parametrize(
    "raw,expected",
    [("a cabin in the woods!", "a-cabin-in-the-woods"), ("../../etc/passwd", "etc-passwd"), ("", "item"),
     ("CON", "_CON"), ("...", "item"), ("日本", "item")],
)
def test_sanitize_name(raw, expected):
    assert sanitize_name(raw) == expected


def test_resolve_under_refuses_escapes(tmp_path):
    assert resolve_under(tmp_path, "x/y.ply") == (tmp_path / "x" / "y.ply").resolve()
    with pytest.raises(InputError, match="escapes"):
        resolve_under(tmp_path, "../x")
    with pytest.raises(InputError, match="relative"):
        resolve_under(tmp_path, "/etc/passwd")


def test_ensure_output_dir(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError, match="is a file"):
        ensure_output_dir(f)
    assert ensure_output_dir(tmp_path / "new" / "dir").is_dir()


def test_presets_and_limits(monkeypatch):
    assert set(PRESETS) == {"draft", "standard", "high"}
    assert get_preset("Draft").name == "draft"
    assert get_preset("draft", voxel_size=0.5).voxel_size == 0.5
    with pytest.raises(InputError, match="unknown preset 'ultra'"):
        get_preset("ultra")
    assert limits().max_prompt_chars == 2000
    monkeypatch.setenv("MARBLE_MAX_PROMPT_CHARS", "10")
    assert limits().max_prompt_chars == 10


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(None).type in ("cpu", "cuda")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA"):
            resolve_device("cuda")
    with pytest.raises(InputError):
        resolve_device("banana")
