"""Taking the cross-process write lock with a timeout, woken the moment it is released.

``flock(LOCK_EX)`` waits in the kernel and wakes the moment the lock is released, but cannot
time out; trying ``LOCK_NB`` in a sleep loop can time out, but leaves the lock idle between a
release and the next try and lets unlucky waiters lose round after round. Measured with five
writer processes (/tmp harness over benchmarks/write_lock.py, see the issue-10b note): the
blocking wait made about 2x the applications per second of the sleep loop, with a third of the
p99. So a request thread that is the process's main thread (a gunicorn sync worker's) waits in
``flock(LOCK_EX)`` under a ``SIGALRM`` timer that ends the wait at the timeout; any other thread
(the mail thread, a threaded server) cannot be interrupted that way and keeps the short sleep loop.
"""
from __future__ import annotations

import signal
import threading
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - not Linux/macOS
    fcntl = None

__all__ = ["LockTimeout", "acquire", "release"]


class LockTimeout(Exception):
    """The lock stayed taken for the whole timeout."""


def acquire(file, timeout: float) -> None:
    """Take an exclusive flock on ``file`` within ``timeout`` seconds, else LockTimeout."""
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    if _can_use_alarm():
        _wait_in_kernel(file, timeout)
    else:
        _wait_in_loop(file, timeout)


def release(file) -> None:
    fcntl.flock(file, fcntl.LOCK_UN)


_armed = False  # True while this process's main thread waits in flock() under the timer


def _expired(signum, frame):
    if _armed:
        raise LockTimeout("still held by another process after the timeout")


def _can_use_alarm() -> bool:
    """In the main thread, with SIGALRM unused or already ours (the handler is installed once)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return False
    handler = signal.getsignal(signal.SIGALRM)
    if handler is _expired:
        return True
    if handler not in (signal.SIG_DFL, signal.SIG_IGN, None):
        return False  # someone else's timer: leave it alone
    signal.signal(signal.SIGALRM, _expired)
    return True


def _wait_in_kernel(file, timeout: float) -> None:
    global _armed
    _armed = True
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            fcntl.flock(file, fcntl.LOCK_EX)
        finally:
            _armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    except LockTimeout:
        # The timer may have gone off just after flock() returned: then this process holds the
        # lock it is giving up on. Unlocking a lock not held is a no-op.
        fcntl.flock(file, fcntl.LOCK_UN)
        raise LockTimeout(f"still held by another process after {timeout:g} s") from None


def _wait_in_loop(file, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pause = 0.0005
    while True:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeout(f"still held by another process after {timeout:g} s") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.002)
