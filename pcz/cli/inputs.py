"""The inputs a command runs over: the files named, and with ``-r`` the files inside the
folders named.

A folder is walked without following symbolic links (links inside it are skipped,
never read), through descriptors (``os.fwalk``), so that a folder renamed or replaced
by a link while pcz runs cannot lead it elsewhere; each file found is remembered by
device and inode, together with its folder, and :func:`pcz.cli.transfer.transfer`
reads it, and writes next to it, only while they are still those (docs/SECURITY.md).

>>> import os, tempfile
>>> top = tempfile.mkdtemp()
>>> for name in ("a", "b.pcz", "sub/c"):
...     os.makedirs(os.path.dirname(os.path.join(top, name)), exist_ok=True)
...     open(os.path.join(top, name), "w").close()
>>> os.symlink("/etc/passwd", os.path.join(top, "sub", "link"))
>>> walked = {}
>>> [os.path.relpath(p, top) for p in expand([top], True, compressing=True, walked=walked, report=print)]
['a', 'sub/c']
>>> [os.path.relpath(p, top) for p in expand([top], True, compressing=False, walked={}, report=print)]
['b.pcz']
>>> list(expand(["x", "-"], False, compressing=True, walked={}, report=print))
['x', '-']
"""
import os
import stat
from typing import Callable, Iterator

from pcz.runtime.fileio import SUFFIX

Identity = tuple[int, int]      # (st_dev, st_ino)


def identity(st: os.stat_result) -> Identity:
    return st.st_dev, st.st_ino


def expand(files: list[str], recursive: bool, compressing: bool, walked: dict,
           report: Callable[[str], None]) -> Iterator[str]:
    """Yield each input: names as given; with ``recursive``, each folder's regular files
    (compressing: those not ending in .pcz; otherwise: only those), sorted, folder by
    folder.  ``walked`` gets path -> (file identity, folder identity) for files found
    in folders; ``report`` gets a message for each folder that cannot be read.
    """
    for name in files:
        if not recursive or name == "-" or not os.path.isdir(name):
            yield name
            continue
        yield from _walk(name, compressing, walked, report)


def _walk(top: str, compressing: bool, walked: dict, report) -> Iterator[str]:
    def failed(e: OSError) -> None:
        report(f"{e.filename or top}: {e.strerror}")

    if os.path.islink(top):          # a link named by the user is followed, as for files
        top = top.rstrip(os.sep) + os.sep

    for folder, dirnames, filenames, dir_fd in os.fwalk(top, onerror=failed, follow_symlinks=False):
        dirnames.sort()
        folder_id = identity(os.fstat(dir_fd))
        for filename in sorted(filenames):
            if filename.endswith(SUFFIX) == compressing:
                continue
            try:
                st = os.stat(filename, dir_fd=dir_fd, follow_symlinks=False)
            except OSError:
                continue                 # gone since the folder was listed
            if not stat.S_ISREG(st.st_mode):
                continue                 # symbolic links, FIFOs, devices: never read from a walk
            path = os.path.join(folder, filename)
            walked[path] = (identity(st), folder_id)
            yield path
