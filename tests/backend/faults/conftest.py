"""Fixtures of the fault tests: a tiny filesystem for the data folder (a tmpfs; needs root)."""
from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest


class TinyDisk:
    """A small tmpfs mounted at ``path``, and a filler file to take its free space away."""

    def __init__(self, path: Path, size_mb: int):
        self.path, self.size_mb = path, size_mb
        self.filler = path / "filler"

    def free(self) -> int:
        return os.statvfs(self.path).f_bavail * os.statvfs(self.path).f_frsize

    def fill(self, leave: int = 0) -> int:
        """Take all free space but ``leave`` bytes (rounded to the 4 KiB pages tmpfs counts); return what is free."""
        chunk = b"\0" * (64 * 1024)
        with open(self.filler, "ab", buffering=0) as fh:  # unbuffered: nothing left to flush at close
            while True:
                try:
                    fh.write(chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
        # A write cut short leaves a partial page: page-align, then give back what was asked for.
        size = self.filler.stat().st_size
        os.truncate(self.filler, max(0, (size // 4096) * 4096 - leave))
        return self.free()

    def use_up_inodes(self) -> int:
        """Create empty files until the filesystem has no inode left (bytes stay free); return how many."""
        folder = self.path / "inode-filler"
        folder.mkdir(exist_ok=True)
        n = 0
        while True:
            try:
                (folder / str(n)).touch()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                return n
            n += 1

    def release(self) -> None:
        self.filler.unlink(missing_ok=True)
        folder = self.path / "inode-filler"
        if folder.is_dir():
            for p in folder.iterdir():
                p.unlink()
            folder.rmdir()


@pytest.fixture
def tiny_disk(tmp_path):
    """A 24 MiB tmpfs (4000 inodes) as the data folder; skipped (with the reason) where mounting is not allowed."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs for the data folder needs root (CI runs as root)")
    path = tmp_path / "data"
    path.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,nr_inodes=4000,mode=0700", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    disk = TinyDisk(path, 24)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)
