"""Safe file output for the CLI: temporary file, rename on success, nothing left on failure.

>>> import os, tempfile
>>> target = os.path.join(tempfile.mkdtemp(), "out.bin")
>>> with AtomicOutput(target, force=False) as f:
...     _ = f.write(b"data")
>>> open(target, "rb").read()
b'data'
>>> oct(os.stat(target).st_mode & 0o777) == oct(0o666 & ~_UMASK)   # like open(), not 0600
True
"""
import os
import stat
import tempfile

from pcz.runtime import interrupts
from pcz.errors import PczError

SUFFIX = ".pcz"


class PathError(PczError):
    """An error whose message already starts with the path it concerns."""


class AtomicOutput:
    """Context manager writing ``path`` through a temporary file in the same folder.

    On success the temporary file is renamed over ``path`` (refused when the
    path exists and ``force`` is false); on any error or interrupt it is removed.
    """

    def __init__(self, path: str, force: bool, source_stat: os.stat_result | None = None):
        self.path, self.force, self.source_stat = path, force, source_stat
        self.tmp = None

    def __enter__(self):
        check_writable(self.path, self.force)
        folder = os.path.dirname(os.path.abspath(self.path))
        fd, self.tmp = tempfile.mkstemp(prefix="." + os.path.basename(self.path) + ".",
                                        suffix=".tmp", dir=folder)
        self.file = os.fdopen(fd, "wb")
        return self.file

    def __exit__(self, exc_type, exc, tb):
        try:
            self.file.close()
            if exc_type is None:
                interrupts.check()
                if self.source_stat is not None:
                    copy_metadata(self.source_stat, self.tmp)
                else:                    # a new file, as open() would make it (not mkstemp's 0600)
                    os.chmod(self.tmp, 0o666 & ~_UMASK)
                check_writable(self.path, self.force)
                os.replace(self.tmp, self.path)
                self.tmp = None
        finally:
            if self.tmp is not None and os.path.exists(self.tmp):
                os.unlink(self.tmp)
        return False


# the process's umask, read once at import (by setting it and putting it back)
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def check_writable(path: str, force: bool) -> None:
    """Refuse to overwrite an existing path unless forced; never overwrite a folder."""
    if os.path.isdir(path):
        raise PathError(f"{path}: is a directory")
    if os.path.lexists(path) and not force:
        raise PathError(f"{path}: already exists (use -f to overwrite)")


def copy_metadata(source: os.stat_result, path: str) -> None:
    """Give path the permission bits and access/modification times of the source."""
    os.chmod(path, stat.S_IMODE(source.st_mode))
    os.utime(path, ns=(source.st_atime_ns, source.st_mtime_ns))


def compressed_name(path: str) -> str:
    """FILE -> FILE.pcz"""
    return path + SUFFIX


def decompressed_name(path: str) -> str:
    """FILE.pcz -> FILE; other names are refused.

    >>> decompressed_name("a/b.txt.pcz")
    'a/b.txt'
    """
    if not path.endswith(SUFFIX) or len(os.path.basename(path)) == len(SUFFIX):
        raise PathError(f"{path}: unknown suffix (expected {SUFFIX}); use -o to name the output")
    return path[:-len(SUFFIX)]


def same_file(a: str, b: str) -> bool:
    """True when both paths exist and are the same file."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
