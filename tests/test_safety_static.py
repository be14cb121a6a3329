"""Safe by construction: no pickle, no unsafe torch.load, no remote code, no eval/exec of data."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    p for d in ("marble", "pipelines", "exporters") for p in (ROOT / d).rglob("*.py")
) + [ROOT / "app.py"]


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def _name(func) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_name(func.value)}.{func.attr}"
    return ""


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_unsafe_loading(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            if any(n in ("pickle", "cPickle", "dill", "marshal", "shelve") for n in names):
                problems.append(f"line {node.lineno}: imports a pickle-like module")
    for call in _calls(tree):
        name = _name(call.func)
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        if name in ("eval", "exec"):
            problems.append(f"line {call.lineno}: {name}()")
        if name.endswith("torch.load") or name == "load" and isinstance(call.func, ast.Attribute) and _name(call.func.value) == "torch":
            wo = kwargs.get("weights_only")
            if not (isinstance(wo, ast.Constant) and wo.value is True):
                problems.append(f"line {call.lineno}: torch.load without weights_only=True")
        tr = kwargs.get("trust_remote_code")
        if tr is not None and not (isinstance(tr, ast.Constant) and tr.value is False):
            problems.append(f"line {call.lineno}: trust_remote_code is not False")
        ap = kwargs.get("allow_pickle")
        if ap is not None and not (isinstance(ap, ast.Constant) and ap.value is False):
            problems.append(f"line {call.lineno}: allow_pickle is not False")
    assert not problems, f"{path.relative_to(ROOT)}: " + "; ".join(problems)


def test_scan_sees_the_code():
    assert len(SOURCES) > 30  # the scan must actually cover the packages
