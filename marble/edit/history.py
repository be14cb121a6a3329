"""Undo/redo for world edits, bounded by a memory budget and saved inside the ``.marble`` bundle.

Every edit is an :class:`Operation` with ``apply(world)`` and ``undo(world)``. An operation keeps
only what it needs to go back (the splats it deleted and where they were, the transforms it
replaced, ...), and reports that size in :meth:`Operation.nbytes`. :class:`History` keeps a
linear undo stack and a redo stack; when the stored bytes exceed ``max_bytes`` the OLDEST undo
entries are dropped first (so the most recent edits stay undoable).

Persistence: :meth:`History.save_into` writes the stacks into ``world.extras["history"]`` (JSON)
and ``world.extra_tensors["history/..."]`` (tensors), which ``World.save`` puts in the bundle;
:meth:`History.load_from` restores them after ``World.load``, so a session can be resumed.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor

from marble.errors import FormatError, InputError
from marble.world import World

HISTORY_KEY = "history"
HISTORY_PREFIX = "history/"
HISTORY_VERSION = 1
DEFAULT_MAX_BYTES = 512 << 20  # 512 MiB of undo data

_REGISTRY: dict[str, type["Operation"]] = {}


def register(cls: type["Operation"]) -> type["Operation"]:
    """Class decorator: make an operation kind restorable from a saved history."""
    if not cls.kind or cls.kind in _REGISTRY:
        raise ValueError(f"operation kind {cls.kind!r} is empty or registered twice")
    _REGISTRY[cls.kind] = cls
    return cls


class Operation:
    """One undoable edit.

    Subclasses set ``kind`` (a unique name used when saving), implement :meth:`apply`,
    :meth:`undo`, :meth:`to_state` and :meth:`from_state`, and keep ``nbytes`` honest.
    ``apply`` must check its inputs before changing anything, so a failed apply leaves the
    world unchanged; ``apply`` after ``undo`` (redo) must give the same world again.
    """

    kind: ClassVar[str] = ""

    @property
    def description(self) -> str:
        """A short human-readable summary shown in the editor's history list."""
        return self.kind

    def apply(self, world: World) -> None:  # pragma: no cover - interface
        """Make the edit; raise ``InputError`` before changing anything when it cannot be made."""
        raise NotImplementedError

    def undo(self, world: World) -> None:  # pragma: no cover - interface
        """Reverse :meth:`apply` exactly (the world must be as :meth:`apply` left it)."""
        raise NotImplementedError

    def nbytes(self) -> int:
        """Bytes of undo data this operation holds."""
        return 0

    def to_state(self, tensors: dict[str, Tensor], prefix: str) -> dict:
        """JSON-serialisable description; tensors go into ``tensors`` under keys starting with ``prefix``."""
        raise NotImplementedError

    @classmethod
    def from_state(cls, doc: dict, tensors: dict[str, Tensor], prefix: str) -> "Operation":
        """Rebuild an operation saved by :meth:`to_state`."""
        raise NotImplementedError


class History:
    """Linear undo/redo stacks of :class:`Operation` bounded by ``max_bytes``.

    Args:
        max_bytes: most undo data to keep; the oldest entries are dropped beyond it. An edit
            whose own undo data exceeds the budget is applied but cannot be undone (and it
            clears the older entries, which could no longer be replayed in order anyway).
    """

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if int(max_bytes) < 0:
            raise InputError(f"`max_bytes` must be >= 0, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self.undo_stack: list[Operation] = []
        self.redo_stack: list[Operation] = []
        self.dropped = 0  # entries dropped to stay within the budget

    # ------------------------------------------------------------------ editing
    def apply(self, world: World, op: Operation) -> Operation:
        """Apply ``op`` to ``world`` and record it (clearing the redo stack); returns ``op``."""
        op.apply(world)
        self.undo_stack.append(op)
        self.redo_stack.clear()
        self._enforce_budget()
        return op

    def undo(self, world: World) -> Operation:
        """Undo the latest edit; returns it.

        Raises:
            InputError: there is nothing to undo.
        """
        if not self.undo_stack:
            raise InputError("nothing to undo: the history is empty")
        op = self.undo_stack[-1]
        op.undo(world)
        self.undo_stack.pop()
        self.redo_stack.append(op)
        return op

    def redo(self, world: World) -> Operation:
        """Re-apply the latest undone edit; returns it.

        Raises:
            InputError: there is nothing to redo.
        """
        if not self.redo_stack:
            raise InputError("nothing to redo: no edit has been undone since the last change")
        op = self.redo_stack[-1]
        op.apply(world)
        self.redo_stack.pop()
        self.undo_stack.append(op)
        self._enforce_budget()
        return op

    def clear(self) -> None:
        """Forget every undo and redo entry."""
        self.undo_stack.clear()
        self.redo_stack.clear()

    @property
    def can_undo(self) -> bool:
        """True when there is an edit to undo."""
        return bool(self.undo_stack)

    @property
    def can_redo(self) -> bool:
        """True when there is an undone edit to redo."""
        return bool(self.redo_stack)

    def nbytes(self) -> int:
        """Bytes held by both stacks."""
        return sum(op.nbytes() for op in self.undo_stack) + sum(op.nbytes() for op in self.redo_stack)

    def descriptions(self) -> list[str]:
        """Undo stack, oldest first, as short strings."""
        return [op.description for op in self.undo_stack]

    def _enforce_budget(self) -> None:
        total = self.nbytes()
        while total > self.max_bytes and self.redo_stack:
            total -= self.redo_stack.pop(0).nbytes()
            self.dropped += 1
        while total > self.max_bytes and self.undo_stack:
            total -= self.undo_stack.pop(0).nbytes()
            self.dropped += 1

    # ------------------------------------------------------------------ persistence
    def save_into(self, world: World) -> None:
        """Store both stacks in ``world.extras`` / ``world.extra_tensors`` (replacing a previous save)."""
        for key in [k for k in world.extra_tensors if k.startswith(HISTORY_PREFIX)]:
            del world.extra_tensors[key]
        tensors: dict[str, Tensor] = {}
        doc: dict[str, Any] = {"version": HISTORY_VERSION, "max_bytes": self.max_bytes, "undo": [], "redo": []}
        for stack_name, stack in (("undo", self.undo_stack), ("redo", self.redo_stack)):
            for i, op in enumerate(stack):
                prefix = f"{HISTORY_PREFIX}{stack_name}{i}/"
                entry = op.to_state(tensors, prefix)
                doc[stack_name].append({"kind": op.kind, "state": entry})
        world.extras[HISTORY_KEY] = doc
        # cloned: history entries may reference tensors the world holds too, and safetensors refuses shared memory
        world.extra_tensors.update({k: v.detach().cpu().clone().contiguous() for k, v in tensors.items()})

    @classmethod
    def load_from(cls, world: World, *, max_bytes: int | None = None) -> "History":
        """Rebuild the history saved by :meth:`save_into` (an empty one when there is none).

        Raises:
            FormatError: the saved history names an unknown operation or is inconsistent.
        """
        import marble.edit  # noqa: F401  (registers the operation kinds)

        doc = world.extras.get(HISTORY_KEY)
        if not doc:
            return cls(max_bytes=DEFAULT_MAX_BYTES if max_bytes is None else max_bytes)
        if int(doc.get("version", 0)) > HISTORY_VERSION:
            raise FormatError(f"edit history version {doc.get('version')} is newer than this Marble reads")
        hist = cls(max_bytes=int(doc.get("max_bytes", DEFAULT_MAX_BYTES)) if max_bytes is None else max_bytes)
        tensors = world.extra_tensors
        for stack_name in ("undo", "redo"):
            stack = hist.undo_stack if stack_name == "undo" else hist.redo_stack
            for i, entry in enumerate(doc.get(stack_name, [])):
                kind = entry.get("kind")
                if kind not in _REGISTRY:
                    raise FormatError(f"edit history: unknown operation {kind!r}")
                prefix = f"{HISTORY_PREFIX}{stack_name}{i}/"
                try:
                    stack.append(_REGISTRY[kind].from_state(entry["state"], tensors, prefix))
                except (KeyError, TypeError, ValueError) as exc:
                    raise FormatError(f"edit history: entry {i} ({kind}) is inconsistent ({exc})") from exc
        return hist


def tensor_nbytes(*items) -> int:
    """Total bytes of the tensors among ``items`` (``None`` and non-tensors count 0)."""
    return sum(int(t.numel() * t.element_size()) for t in items if isinstance(t, torch.Tensor))
