"""Several operations applied as one undoable step (a delete with its blockout entry, a move of an
object's layer together with its box)."""

from __future__ import annotations

from marble.edit.history import _REGISTRY, Operation, register
from marble.errors import FormatError
from marble.world import World


@register
class Steps(Operation):
    """Apply ``ops`` in order as ONE history entry; undo runs them backwards.

    Atomic: when one of them raises, the ones already applied are undone before the error
    propagates, so a failed step leaves the world as it was.
    """

    kind = "steps"

    def __init__(self, ops: list[Operation], *, label: str | None = None) -> None:
        if not ops:
            raise ValueError("Steps needs at least one operation")
        self.ops = list(ops)
        self.label = label

    @property
    def description(self) -> str:
        return self.label or self.ops[0].description

    def apply(self, world: World) -> None:
        done: list[Operation] = []
        try:
            for op in self.ops:
                op.apply(world)
                done.append(op)
        except BaseException:
            for op in reversed(done):
                op.undo(world)
            raise

    def undo(self, world: World) -> None:
        for op in reversed(self.ops):
            op.undo(world)

    def nbytes(self) -> int:
        return sum(op.nbytes() for op in self.ops)

    def to_state(self, tensors: dict, prefix: str) -> dict:
        return {"label": self.label,
                "ops": [{"kind": op.kind, "state": op.to_state(tensors, f"{prefix}s{i}/")} for i, op in enumerate(self.ops)]}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "Steps":
        ops = []
        for i, entry in enumerate(doc["ops"]):
            kind = entry["kind"]
            if kind not in _REGISTRY:
                raise FormatError(f"edit history: unknown operation {kind!r} inside a grouped step")
            ops.append(_REGISTRY[kind].from_state(entry["state"], tensors, f"{prefix}s{i}/"))
        return cls(ops, label=doc.get("label"))


def steps(ops: list[Operation], *, label: str | None = None) -> Operation:
    """``ops[0]`` alone when there is one, else a :class:`Steps` of them."""
    ops = [op for op in ops if op is not None]
    if len(ops) == 1 and label is None:
        return ops[0]
    return Steps(ops, label=label)
