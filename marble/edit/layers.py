"""Layer properties: RenameLayer and SetLayer (label, visibility)."""

from __future__ import annotations

from marble.edit.history import Operation, register
from marble.errors import InputError
from marble.world import World


# ====================================================================== layer properties
@register
class RenameLayer(Operation):
    """Rename a layer (its position in the order is kept)."""

    kind = "rename"

    def __init__(self, old: str, new: str) -> None:
        new = str(new).strip()
        if not new:
            raise InputError("the new layer `name` must not be empty")
        self.old, self.new = old, new

    @property
    def description(self) -> str:
        return f"rename {self.old} -> {self.new}"

    def apply(self, world: World) -> None:
        world.rename_layer(self.old, self.new)

    def undo(self, world: World) -> None:
        world.rename_layer(self.new, self.old)

    def to_state(self, tensors: dict, prefix: str) -> dict:
        return {"old": self.old, "new": self.new}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "RenameLayer":
        return cls(doc["old"], doc["new"])


@register
class SetLayer(Operation):
    """Change a layer's ``label`` and/or ``visible`` flag."""

    kind = "set_layer"

    def __init__(self, name: str, *, label: str | None = None, visible: bool | None = None) -> None:
        if label is None and visible is None:
            raise InputError("give a new `label` or `visible`")
        if label is not None and not str(label).strip():
            raise InputError("`label` must not be empty")
        self.name, self.label, self.visible = name, label, visible
        self._old: tuple[str, bool] | None = None

    @property
    def description(self) -> str:
        parts = ([f"label={self.label}"] if self.label is not None else []) + (
            [f"visible={self.visible}"] if self.visible is not None else [])
        return f"{self.name}: {', '.join(parts)}"

    def apply(self, world: World) -> None:
        layer = world.layer(self.name)
        self._old = (layer.label, layer.visible)
        if self.label is not None:
            layer.label = str(self.label).strip()
        if self.visible is not None:
            layer.visible = bool(self.visible)

    def undo(self, world: World) -> None:
        layer = world.layer(self.name)
        layer.label, layer.visible = self._old

    def to_state(self, tensors: dict, prefix: str) -> dict:
        return {"name": self.name, "label": self.label, "visible": self.visible, "old": list(self._old or ("", True))}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "SetLayer":
        op = cls(doc["name"], label=doc["label"], visible=doc["visible"])
        op._old = (doc["old"][0], bool(doc["old"][1]))
        return op
