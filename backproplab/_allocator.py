"""Let the C allocator keep the memory of freed large arrays for the next training step.

glibc's ``malloc`` serves a request above a threshold (128 KiB at first, raised as large
blocks are freed) with fresh pages from the operating system, and gives large free blocks
back soon.  A training step allocates and frees the same large arrays every time, so each
step would fault in and zero every page of them again: on the LeNet benchmark that was a
third of the step.  Raising the thresholds makes ``malloc`` reuse the freed blocks, as
PyTorch's caching allocator does for its tensors.  Memory stays flat, because a training
loop reuses the same sizes; peak use is what it was.

Linux with glibc only (elsewhere, or with ``MALLOC_MMAP_THRESHOLD_`` or
``MALLOC_TRIM_THRESHOLD_`` set by the user, nothing is changed).
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)
_MMAP_THRESHOLD = 32 * 1024 * 1024  # the largest glibc accepts on 64-bit systems
_TRIM_THRESHOLD = 512 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds; return whether the allocator took them."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ \
            or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process already uses
    except (OSError, AttributeError):  # not glibc (musl has a mallopt that does nothing)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    took_mmap = bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD))
    return took_mmap and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
