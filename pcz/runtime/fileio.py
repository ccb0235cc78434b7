"""Safe file output for the CLI: temporary file, rename on success, nothing left on failure.

An output is written to a new temporary file in its destination folder, which is held
open by descriptor; its mode, owner and times are set on the open file, never through a
path; it is renamed into place, and the name is then checked to hold the file written.
A user who can write to the folder can neither redirect any of these steps to another
file nor slip a symbolic link in as the output.  No output ever gets a setuid, setgid or
sticky bit.  See docs/SECURITY.md, "Untrusted directories".

>>> import os, tempfile
>>> target = os.path.join(tempfile.mkdtemp(), "out.bin")
>>> with AtomicOutput(target, force=False) as f:
...     _ = f.write(b"data")
>>> open(target, "rb").read()
b'data'
>>> oct(os.stat(target).st_mode & 0o777) == oct(0o666 & ~_UMASK)   # like open(), not 0600
True
"""
import errno
import os
import secrets
import select
import stat

from pcz.runtime import interrupts
from pcz.errors import PczError

SUFFIX = ".pcz"

_SPECIAL = stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX      # never set on an output
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_FOLDER = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_CLOEXEC
_ATTEMPTS = 100     # random temporary names tried before giving up


class PathError(PczError):
    """An error whose message already starts with the path it concerns."""


def _race_hook(tmp_path: str) -> None:
    """Called by AtomicOutput once the data is written, before metadata and rename.

    Does nothing; the security tests replace it to act as another user who swaps the
    temporary file at the worst moment.
    """


class AtomicOutput:
    """Context manager writing ``path`` through a temporary file in the same folder.

    On success the temporary file is renamed over ``path`` (refused when the
    path exists and ``force`` is false; an existing symbolic link is replaced,
    never followed); on any error or interrupt it is removed.  With
    ``source_stat`` the output gets the source's mode (less any setuid, setgid
    and sticky bit), owner and group (where permitted) and times; afterwards
    ``stripped`` holds the mode bits left off and ``note`` says so (else None).

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> program = os.path.join(folder, "program")
    >>> open(program, "wb").close()
    >>> os.chmod(program, 0o4755)
    >>> output = AtomicOutput(program + ".pcz", force=False, source_stat=os.stat(program))
    >>> with output as f:
    ...     _ = f.write(b"x")
    >>> oct(os.stat(program + ".pcz").st_mode & 0o7777), output.note
    ('0o755', 'setuid bit not copied (mode 4755 -> 0755)')
    """

    def __init__(self, path: str, force: bool, source_stat: os.stat_result | None = None,
                 folder: tuple | None = None):
        self.path, self.force, self.source_stat, self.folder = path, force, source_stat, folder
        self.tmp = self.file = None
        self.stripped, self.note = 0, None

    def __enter__(self):
        if self.path.endswith(os.sep):
            raise PathError(f"{self.path}: is a directory")
        folder, self._name = os.path.split(os.path.abspath(self.path))
        self._dir = None
        try:
            with interrupts.held():     # Ctrl-C waits until the temporary file is recorded
                self._dir = os.open(folder, _FOLDER)
                _check_folder(self._dir, folder, self.path)
                if self.folder is not None and _identity(os.fstat(self._dir)) != self.folder:
                    raise PathError(f"{self.path}: not written: its folder was replaced while pcz ran")
                _check_name(self._name, self._dir, self.path, self.force)
                try:
                    fd, self._tmp_name = _create_temp(self._dir, self._name)
                except OSError as e:      # named after the folder, not the hidden temporary file
                    raise PathError(f"{self.path}: cannot create it in {folder}: {e.strerror}") from None
                self.tmp = os.path.join(folder, self._tmp_name)
                self.file = os.fdopen(fd, "wb")
            return NamedWriter(self.file, self.path)    # an interrupt held until here: cleaned up below
        except BaseException:
            if self._dir is not None:
                self._close()
            raise

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                try:
                    self._commit()
                except OSError as e:
                    raise _named(e, self.path)
        finally:
            self._close()
        return False

    def _close(self) -> None:
        """Close the file and the folder, removing the temporary file unless it was committed."""
        try:
            if self.file is not None:
                self.file.close()
        finally:
            if self.tmp is not None:
                _unlink(self._tmp_name, self._dir)
            os.close(self._dir)

    def _commit(self) -> None:
        self.file.flush()
        interrupts.check()
        _race_hook(self.tmp)
        fd = self.file.fileno()
        if self.source_stat is not None:
            self.stripped = copy_metadata(self.source_stat, fd)
            if self.stripped:
                self.note = _stripped_note(stat.S_IMODE(self.source_stat.st_mode), self.stripped)
        else:                    # a new file, as open() would make it (not 0600)
            os.fchmod(fd, 0o666 & ~_UMASK)
        _check_name(self._name, self._dir, self.path, self.force)
        mine = os.fstat(fd)
        if not _same_inode(_lstat(self._tmp_name, self._dir), mine):
            raise PathError(f"{self.path}: not written: its temporary file {self.tmp} was replaced "
                            f"by another process")
        os.replace(self._tmp_name, self._name, src_dir_fd=self._dir, dst_dir_fd=self._dir)
        self.tmp = None
        if not _same_inode(_lstat(self._name, self._dir), mine):
            _unlink(self._name, self._dir)       # whatever the rename put there is not ours
            raise PathError(f"{self.path}: another process replaced the file while it was being "
                            f"written; removed")


class NamedWriter:
    """A binary file whose write errors (a full disk: ENOSPC) name ``name``, the output,
    rather than whatever input was being read.

    >>> import errno
    >>> class Full:
    ...     def write(self, data): raise OSError(errno.ENOSPC, "No space left on device")
    >>> NamedWriter(Full(), "out.pcz").write(b"x")
    Traceback (most recent call last):
    OSError: [Errno 28] No space left on device: 'out.pcz'
    """

    def __init__(self, file, name: str):
        self.file, self.name = file, name

    def write(self, data) -> int:
        try:
            return self.file.write(data)
        except OSError as e:
            raise _named(e, self.name)

    def flush(self) -> None:
        try:
            self.file.flush()
        except OSError as e:
            raise _named(e, self.name)

    def __getattr__(self, attr):
        return getattr(self.file, attr)


def _named(e: OSError, name: str) -> OSError:
    if e.filename is None and not isinstance(e, BrokenPipeError):
        e.filename = name
    return e


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


# the process's umask, read once at import (by setting it and putting it back)
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def _check_folder(dir_fd: int, folder: str, path: str) -> None:
    """Refuse a folder every user may write to unless it is sticky (see docs/SECURITY.md)."""
    mode = os.fstat(dir_fd).st_mode
    if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        raise PathError(f"{path}: not written: {folder} is writable by all users and not sticky, "
                        f"so any of them could replace the output (chmod +t or o-w it)")


def _create_temp(dir_fd: int, name: str) -> tuple[int, str]:
    """A new empty file of mode 0600 under a random name next to name: (fd, its name)."""
    for _ in range(_ATTEMPTS):
        tmp_name = f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp_name, _CREATE, 0o600, dir_fd=dir_fd), tmp_name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", name)


def _lstat(name: str, dir_fd: int | None) -> os.stat_result | None:
    try:
        return os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return None


def _same_inode(a: os.stat_result | None, b: os.stat_result) -> bool:
    return a is not None and stat.S_ISREG(a.st_mode) and (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _unlink(name: str, dir_fd: int) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)      # removes a symbolic link itself, never its target
    except FileNotFoundError:
        pass


def _check_name(name: str, dir_fd: int | None, path: str, force: bool) -> None:
    st = _lstat(name, dir_fd)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise PathError(f"{path}: is a directory")
    if st is not None and not force:
        raise PathError(f"{path}: already exists (use -f to overwrite)")


def check_writable(path: str, force: bool) -> None:
    """Refuse to overwrite an existing path unless forced; never overwrite a folder.

    A symbolic link counts as existing and is never followed (``-f`` replaces the link).

    >>> import tempfile
    >>> check_writable(tempfile.mkdtemp(), force=True)
    Traceback (most recent call last):
    pcz.runtime.fileio.PathError: ...: is a directory
    """
    _check_name(path, None, path, force)


def copy_metadata(source: os.stat_result, fd: int) -> int:
    """Give the open file fd the source's permission bits, owner, group and access/modification times.

    Works on the descriptor, never a path.  Setuid, setgid and sticky bits are
    never set; the bits left off are returned.  Owner and group are copied where
    the system allows it (root); when the group cannot be copied, the group gets
    no more permission than others, so the file's own group gains nothing.

    >>> import os, tempfile
    >>> with tempfile.NamedTemporaryFile() as source, tempfile.TemporaryFile() as f:
    ...     os.chmod(source.name, 0o2750)
    ...     os.utime(source.name, (7, 9))
    ...     stripped = copy_metadata(os.stat(source.name), f.fileno())
    ...     oct(stripped), oct(os.fstat(f.fileno()).st_mode & 0o7777), os.fstat(f.fileno()).st_mtime
    ('0o2000', '0o750', 9.0)
    """
    mode = stat.S_IMODE(source.st_mode)
    if not _copy_owner(source, fd):
        mode = (mode & ~0o070) | (mode & 0o070 & (mode << 3))
    os.fchmod(fd, mode & ~_SPECIAL)     # after fchown, which may clear bits itself
    os.utime(fd, ns=(source.st_atime_ns, source.st_mtime_ns))
    return mode & _SPECIAL


def _copy_owner(source: os.stat_result, fd: int) -> bool:
    """Copy owner and group (or the group alone); True when the file ends in the source's group."""
    for uid in (source.st_uid, -1):
        try:
            os.fchown(fd, uid, source.st_gid)
            return True
        except OSError as e:             # not root, or an id this file system cannot store
            if e.errno not in (errno.EPERM, errno.EINVAL):
                raise
    return os.fstat(fd).st_gid == source.st_gid


def _stripped_note(mode: int, stripped: int) -> str:
    names = [name for bit, name in ((stat.S_ISUID, "setuid"), (stat.S_ISGID, "setgid"),
                                    (stat.S_ISVTX, "sticky")) if stripped & bit]
    bits = " and ".join(names) + (" bits" if len(names) > 1 else " bit")
    return f"{bits} not copied (mode {mode:04o} -> {mode & ~_SPECIAL:04o})"


def open_source(path: str, special: bool = False, follow: bool = True, expect: tuple | None = None):
    """Open an input file for reading: (binary file, its stat taken from the open descriptor).

    A symbolic link named by the user is followed (``follow=False``: refused); the
    metadata later copied to the output comes from the file actually opened, never
    from a second look-up by name.  Anything but a regular file is refused without
    being read, except, with ``special``, a FIFO or character device (a pipe such
    as ``<(cmd)``, /dev/stdin): it is opened without blocking, so a FIFO nobody
    writes to cannot hang the open, and read once a writer comes.  ``expect``: the
    (device, inode) the file must have (a file found by walking a folder).

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as t:
    ...     f, st = open_source(t.name)
    ...     with f:
    ...         f.read(), st.st_size
    (b'', 0)
    >>> open_source(tempfile.gettempdir())
    Traceback (most recent call last):
    pcz.errors.PczError: is a directory, not a regular file (use -r for the files inside)
    >>> f, st = open_source("/dev/null", special=True)
    >>> f.read(), f.close()
    (b'', None)
    """
    _check_kind(os.stat(path) if follow else os.lstat(path), special)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        _check_kind(st, special)                  # replaced since the look-up above
        if expect is not None and (st.st_dev, st.st_ino) != expect:
            raise PathError(f"{path}: replaced by another file while pcz ran; skipped")
        os.set_blocking(fd, True)
        if stat.S_ISFIFO(st.st_mode):
            _wait_for_data(fd)
        return os.fdopen(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise


def is_special(st: os.stat_result) -> bool:
    """A FIFO or character device: read as a stream, never given metadata or removed."""
    return stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode)


def _check_kind(st: os.stat_result, special: bool) -> None:
    if stat.S_ISREG(st.st_mode) or (special and is_special(st)):
        return
    if stat.S_ISDIR(st.st_mode):
        raise PczError("is a directory, not a regular file (use -r for the files inside)")
    if is_special(st):
        raise PczError("not a regular file (a FIFO or device is read only with -c or -o)")
    raise PczError("not a regular file")


def _wait_for_data(fd: int) -> None:
    """Wait until a FIFO has data or a writer that came has gone (Ctrl-C stops the wait)."""
    poll = select.poll()
    poll.register(fd, select.POLLIN | select.POLLHUP)
    while not poll.poll():
        pass


def remove_source(path: str, source_stat: os.stat_result) -> None:
    """Remove path (--rm) only while it still names the file that was read.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a")
    >>> open(path, "wb").close()
    >>> st = os.stat(path)
    >>> remove_source(path, st); os.path.exists(path)
    False
    """
    if not _same_inode(os.stat(path), source_stat):
        raise PathError(f"{path}: replaced by another file during the run; not removed")
    os.unlink(path)


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
