"""Where the editor keeps its files: one private folder per user, nothing in shared temp folders.

Layout under the editor root (``MARBLE_EDITOR_DIR``, default ``<tmp>/marble-editor-<uid>``), every folder
0700 and owned by this user:

- ``session-*/``: one per browser tab (bundles and exports), made when the tab first writes a file and
  deleted when the tab's session ends; folders left by a killed app are swept at the next start;
- ``autosave/<id>/``: the tab's autosave slot, kept across reloads (see :mod:`.autosave`);
- ``gradio/``: Gradio's file cache (uploads, and the copies of exports it serves for download), so
  no file of a session lands in the machine-wide ``/tmp/gradio``.
"""

from __future__ import annotations

import getpass
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

from marble.errors import InputError

SESSION_PREFIX = "session-"
STALE_SESSION_S = 24 * 3600  # a session folder untouched this long belongs to no running app


def editor_root(env: dict | None = None) -> Path:
    """The editor's root folder: ``MARBLE_EDITOR_DIR``, else ``<tmp>/marble-editor-<uid>`` (per user)."""
    env = os.environ if env is None else env
    given = env.get("MARBLE_EDITOR_DIR")
    if given:
        return Path(given).expanduser()
    uid = os.getuid() if hasattr(os, "getuid") else getpass.getuser()
    return Path(tempfile.gettempdir()) / f"marble-editor-{uid}"


def private_dir(path: str | Path) -> Path:
    """Make ``path`` (and its missing parents) a folder only this user can enter (0700).

    Raises:
        InputError: ``path`` is not a folder, is a symbolic link, or belongs to another user (someone
            could read or swap the editor's files there): choose another ``MARBLE_EDITOR_DIR``.
    """
    path = Path(path)
    missing = []
    p = path
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):  # each missing folder is made private (mkdir's parents= would not)
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise InputError(f"the editor folder {path} is a link or not a folder: set MARBLE_EDITOR_DIR to a folder of yours")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise InputError(f"the editor folder {path} belongs to another user: set MARBLE_EDITOR_DIR to a folder of yours")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def new_session_dir(root: str | Path) -> Path:
    """A fresh private ``session-*`` folder under ``root`` (0700)."""
    private_dir(root)
    return Path(tempfile.mkdtemp(prefix=SESSION_PREFIX, dir=root))  # mkdtemp makes it 0700


def sweep_sessions(root: str | Path, *, older_than_s: float = STALE_SESSION_S) -> int:
    """Delete ``session-*`` folders under ``root`` not touched for ``older_than_s``; returns how many went."""
    base = Path(root)
    if not base.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    gone = 0
    for folder in base.glob(SESSION_PREFIX + "*"):
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                gone += 1
        except OSError:
            pass
    return gone
