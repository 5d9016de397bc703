"""Files of applicants and staff are readable by the service's own account only.

The data folder and every folder in it are made 0700, and every file the backend writes there
(the database and its WAL/SHM/lock files, uploads, outbox mbox files, backups, the secret key)
is created 0600, whatever the process umask. SQLite gives its -wal and -shm files the mode of
the database file, so creating that file 0600 first is enough for them.
"""
from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, *, tighten: bool = False) -> Path:
    """Create ``path`` (and missing parents) as a 0700 folder.

    ``tighten`` also takes group and other rights away from an existing folder (the data
    folder at start-up, so an installation made before this rule is closed too).
    """
    path = Path(path)
    existed = path.is_dir()
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if tighten or not existed:
        try:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, DIR_MODE)  # mkdir's mode is masked by the umask; chmod is not
        except PermissionError:  # a folder owned by another account: leave it
            pass
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and 0600 if it does not exist; make an existing one 0600."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def opener(path: str, flags: int) -> int:
    """For ``open(..., opener=opener)``: a file created by this call is 0600."""
    return os.open(path, flags, FILE_MODE)
