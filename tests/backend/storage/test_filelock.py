"""The write lock's waiting (storage/filelock.py): in the kernel under a timer in the main thread,
in a short sleep loop elsewhere; both give up at the timeout without keeping the lock."""
from __future__ import annotations

import fcntl
import signal
import subprocess
import sys
import threading
import time

import pytest

from forms_backend.storage import filelock

HOLDER = r"""
import fcntl, sys, time
f = open(sys.argv[1], "a+b")
fcntl.flock(f, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
released = time.time()
fcntl.flock(f, fcntl.LOCK_UN)
print("released %.6f" % released, flush=True)
time.sleep(5)
"""


def hold(path, seconds: float) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def free_for_others(path) -> bool:
    with open(path, "a+b") as other:
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(other, fcntl.LOCK_UN)
        return True


@pytest.fixture
def lockfile(tmp_path):
    path = tmp_path / "guide.db.lock"
    path.touch()
    with open(path, "a+b") as f:
        yield path, f


def test_main_thread_waits_in_the_kernel_and_takes_the_lock_when_released(lockfile):
    path, f = lockfile
    holder = hold(path, 0.5)
    try:
        filelock.acquire(f, 10)
        got = time.time()
        released = float(holder.stdout.readline().split()[1])
        assert signal.getsignal(signal.SIGALRM) is filelock._expired  # the timer path was taken
        assert not free_for_others(path)
        assert 0 <= got - released < 1.0
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no timer left running
        filelock.release(f)
        assert free_for_others(path)
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("where", ["main thread", "other thread"])
def test_gives_up_at_the_timeout_without_keeping_the_lock(lockfile, where):
    path, f = lockfile
    holder = hold(path, 1.5)
    outcome = {}

    def wait():
        t0 = time.monotonic()
        try:
            filelock.acquire(f, 0.4)
            outcome["result"] = "acquired"
        except filelock.LockTimeout as exc:
            outcome["result"] = str(exc)
        outcome["took"] = time.monotonic() - t0
    try:
        if where == "main thread":
            wait()
        else:
            t = threading.Thread(target=wait)
            t.start()
            t.join()
        assert outcome["result"] == "still held by another process after 0.4 s"
        assert 0.35 <= outcome["took"] < 1.2
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        holder.stdout.readline()  # released
        assert free_for_others(path)  # the waiter did not take it afterwards
    finally:
        holder.kill()
        holder.wait()


def test_someone_elses_alarm_handler_is_left_alone(lockfile):
    path, f = lockfile
    theirs = lambda signum, frame: None  # noqa: E731
    previous = signal.signal(signal.SIGALRM, theirs)
    holder = hold(path, 0.3)
    try:
        filelock.acquire(f, 10)  # the sleep loop
        assert signal.getsignal(signal.SIGALRM) is theirs
        filelock.release(f)
    finally:
        signal.signal(signal.SIGALRM, previous)
        holder.kill()
        holder.wait()
