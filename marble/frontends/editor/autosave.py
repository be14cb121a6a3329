"""Autosave: every edit is written (in the background) to a private ``.marble`` with its history, so a
reloaded page can offer to restore the work.

Each browser tab names its slot with a random id it keeps in ``sessionStorage`` (it survives a
reload of that tab). Slots live under ``<root>/autosave/<id>/`` (folders 0700, files 0600),
outside the session folder that is deleted when the tab closes, and are swept after
:data:`KEEP_DAYS` days.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

from marble.edit.history import History
from marble.errors import InputError
from marble.layout import Layout
from marble.world import World

KEEP_DAYS = 7
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
BUNDLE = "autosave.marble"
INFO = "autosave.json"
RESTORE_BUNDLE = "restore.marble"
RESTORE_INFO = "restore.json"


def check_client_id(client_id: str) -> str:
    """``client_id`` if it is a well-formed slot id (16-64 letters, digits, ``-`` or ``_``).

    Raises:
        InputError: anything else (it names a folder, so no path characters get in).
    """
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise InputError("the page sent a malformed autosave id: reload the page")
    return client_id


def snapshot(world: World, history: History) -> World:
    """A copy of ``world`` sharing its (never modified in place) tensors, with ``history`` saved into it."""
    snap = World([replace(x, meta=copy.deepcopy(x.meta)) for x in world.layers], environment=world.environment,
                 cameras=list(world.cameras), provenance=world.provenance,
                 layout=None if world.layout is None else Layout.from_dict(world.layout.to_dict()))
    snap.extras = copy.deepcopy(world.extras)
    snap.extra_tensors = dict(world.extra_tensors)
    history.save_into(snap)
    return snap


class Autosaver:
    """Writes one session's world to its slot after each edit, at most one write at a time.

    Args:
        root: the editor's root folder (slots go under ``root/autosave``).
        client_id: the tab's slot id.
        delay_s: edits closer together than this are written once.
    """

    def __init__(self, root: str | Path, client_id: str, *, delay_s: float = 0.5) -> None:
        self.folder = Path(root) / "autosave" / check_client_id(client_id)
        self.delay_s = float(delay_s)
        self._pending: tuple[World, dict] | None = None
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.writes = 0

    def schedule(self, session) -> None:
        """Snapshot ``session``'s world and history now; write it soon in the background."""
        if session.world is None:
            return
        snap = snapshot(session.world, session.history)
        info = {"prompt": session.world.provenance.prompt, "saved_at": time.time(), "edits": len(session.history.undo_stack),
                "stats": session.stats_text()}
        with self._cond:
            self._pending = (snap, info)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="marble-autosave", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            time.sleep(self.delay_s)
            with self._cond:
                job, self._pending = self._pending, None
                if job is None:
                    self._thread = None
                    self._cond.notify_all()
                    return
            try:
                self._write(*job)
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - a failed autosave must never break editing
                self.last_error = f"autosave failed: {exc}"

    def _write(self, world: World, info: dict) -> None:
        from marble.frontends.editor.folders import private_dir

        private_dir(self.folder.parent)
        private_dir(self.folder)
        path = world.save(self.folder / BUNDLE)
        os.chmod(path, 0o600)
        tmp = self.folder / (INFO + ".tmp")
        tmp.write_text(json.dumps(info))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.folder / INFO)
        self.writes += 1

    def flush(self, timeout: float = 60.0) -> None:
        """Wait until the pending write (if any) is on disk."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._pending is not None or (self._thread is not None and self._thread.is_alive())) \
                    and time.monotonic() < deadline:
                self._cond.wait(0.1)

    # ------------------------------------------------------------------ restoring
    def keep_for_restore(self) -> dict | None:
        """On a page (re)load: set the slot's last autosave aside as the restore point, so this tab's
        new edits cannot overwrite it; returns what the restore point holds (``None``: nothing)."""
        if self.info() is not None:
            os.replace(self.folder / BUNDLE, self.folder / RESTORE_BUNDLE)
            os.replace(self.folder / INFO, self.folder / RESTORE_INFO)
        return self.restore_info()

    def restore_info(self) -> dict | None:
        """What the restore point holds, or ``None``."""
        return self._read_info(RESTORE_INFO, RESTORE_BUNDLE)

    def restore_bundle(self) -> Path:
        """The restore point's ``.marble`` file."""
        return self.folder / RESTORE_BUNDLE

    def discard_restore(self) -> None:
        """Forget the restore point."""
        for name in (RESTORE_BUNDLE, RESTORE_INFO):
            (self.folder / name).unlink(missing_ok=True)

    def info(self) -> dict | None:
        """What the slot holds (``prompt, saved_at, edits, stats``), or ``None`` when it is empty."""
        return self._read_info(INFO, BUNDLE)

    def _read_info(self, info_name: str, bundle_name: str) -> dict | None:
        """The JSON ``info_name`` of the slot when ``bundle_name`` is there beside it, else ``None``."""
        try:
            doc = json.loads((self.folder / info_name).read_text())
        except (OSError, ValueError):
            return None
        return doc if (self.folder / bundle_name).is_file() else None

    def bundle(self) -> Path:
        """The slot's ``.marble`` file."""
        return self.folder / BUNDLE

    def discard(self) -> None:
        """Empty the slot."""
        self.flush()
        shutil.rmtree(self.folder, ignore_errors=True)


def sweep(root: str | Path, *, days: float = KEEP_DAYS) -> int:
    """Delete autosave slots not written for ``days`` days; returns how many went."""
    base = Path(root) / "autosave"
    if not base.is_dir():
        return 0
    cutoff = time.time() - days * 86400
    gone = 0
    for slot in base.iterdir():
        try:
            if slot.is_dir() and slot.stat().st_mtime < cutoff:
                shutil.rmtree(slot, ignore_errors=True)
                gone += 1
        except OSError:
            pass
    return gone


def describe(info: dict | None) -> str:
    """A line offering the restore, e.g. ``"An autosave from 14:02 (5 edits of 'a cabin...') ..."``."""
    if not info:
        return ""
    when = time.strftime("%H:%M", time.localtime(float(info.get("saved_at", 0))))
    prompt = info.get("prompt") or "an image world"
    edits = int(info.get("edits", 0))
    return (f"Unsaved work from {when} can be restored: '{prompt}' with {edits} edit{'s' if edits != 1 else ''} "
            f"({info.get('stats', '')}).")
