"""Peak resident memory of a block of code, above what the process held when it began.

On Linux the kernel's high-water mark (VmHWM) is reset through
/proc/self/clear_refs, so each measurement sees only its own peak; memory
that C libraries allocate is counted too.  Freed heap memory is returned to
the system first (glibc ``malloc_trim``), else a block that reuses it would
show no growth.  Elsewhere nothing is measured.

>>> with PeakMemory() as mem:
...     block = bytearray(32 << 20)
...     block[::4096] = b"x" * len(block[::4096])
>>> mem.extra is None or mem.extra > (16 << 20)
True
"""
import ctypes
import gc

STATUS = "/proc/self/status"


def _status_kb(field: str) -> int | None:
    try:
        with open(STATUS) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _release_freed() -> None:
    """Give freed heap memory back to the system, so the next peak starts from what is really in use."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)     # glibc; elsewhere the attribute is missing
    except (OSError, AttributeError):
        pass


def _reset_peak() -> bool:
    _release_freed()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class PeakMemory:
    """Context manager; afterwards ``extra`` is the peak RSS above the start in bytes (None if unknown)."""

    def __init__(self):
        self.start = self.peak = self.extra = None

    def __enter__(self):
        if _reset_peak():
            self.start = _status_kb("VmRSS")
        return self

    def __exit__(self, *exc):
        if self.start is not None:
            self.peak = _status_kb("VmHWM")
            if self.peak is not None:
                self.extra = max(0, self.peak - self.start)
        return False
