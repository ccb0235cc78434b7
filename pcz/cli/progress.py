"""A one-line progress display on stderr for long jobs: the percentage when the input size
is known, the bytes read and the rate; redrawn at most every ``interval`` seconds and
cleared at the end, so that nothing of it stays on the terminal or reaches the output.

>>> import io
>>> err = io.StringIO()
>>> meter = Progress("big.txt", total=4 << 20, stream=err, interval=0)
>>> src = meter.reader(io.BytesIO(bytes(3 << 20)))
>>> len(src.read(1 << 20)), len(src.read(2 << 20))
(1048576, 2097152)
>>> meter.clear()
>>> err.getvalue().split("\\r")[2]
'pcz: big.txt:  75%  3.0 MiB read, ... MB/s\\x1b[K'
>>> err.getvalue().endswith("\\r\\x1b[K")
True
"""
import time

_ERASE = "\x1b[K"     # erase to the end of the line
INTERVAL = 0.2        # seconds between redraws


class Progress:
    """Counts the bytes a job reads and shows them on ``stream`` (a terminal)."""

    def __init__(self, name: str, total: int | None, stream, interval: float | None = None):
        self.name, self.total, self.stream = name, total, stream
        self.interval = INTERVAL if interval is None else interval
        self.done = 0
        self.start = self.last = time.monotonic()
        self.shown = False

    def reader(self, src) -> "_Counted":
        """src, counting what is read through it."""
        return _Counted(src, self)

    def add(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.done / max(now - self.start, 1e-9) / 1e6
        percent = f"{100 * self.done / self.total:3.0f}%  " if self.total else ""
        self.stream.write(f"\rpcz: {self.name}: {percent}{self.done / (1 << 20):.1f} MiB read, "
                          f"{rate:.2f} MB/s{_ERASE}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Erase the line, if anything was shown."""
        if self.shown:
            self.stream.write("\r" + _ERASE)
            self.stream.flush()
            self.shown = False


class _Counted:
    """A binary file whose reads are counted by a :class:`Progress`."""

    def __init__(self, src, meter: Progress):
        self._src, self._meter = src, meter

    def read(self, n: int = -1) -> bytes:
        data = self._src.read(n)
        self._meter.add(len(data))
        return data

    def read1(self, n: int = -1) -> bytes:
        data = self._src.read1(n)
        self._meter.add(len(data))
        return data

    def readinto(self, b) -> int:
        n = self._src.readinto(b)
        self._meter.add(n or 0)
        return n

    def __getattr__(self, attr):
        return getattr(self._src, attr)
