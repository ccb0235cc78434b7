"""Folders of same-size images: coded as records, restored file by file, byte for byte.

``pcz compress DIR --model M`` codes a flat folder (regular files only) as one pcz stream
whose content is an *image set*:

1. ``MAGIC`` (8 bytes, a raw chunk of its own, so that a decoder sees it is a folder
   without decoding anything: :func:`is_folder_stream`);
2. the manifest: its length (u32, little-endian) and JSON text, column by column: the
   record type and shape; the files' names (sorted; each as the length of the prefix it
   shares with the name before and the rest of it); their template kinds (``png``,
   ``splice`` or ``opaque``: :mod:`pcz.engine.image_files`) as one letter each; the
   lengths of their rests; the distinct template parameters and which one each file
   uses; and a CRC32 of all the files, one after the other;
3. every file's *rest*, in manifest order: what is not pixels (headers, PNG chunks and
   row filter types), or the whole file for an opaque one (files that are not images,
   cannot be rebuilt exactly, or do not fit the model); a rest as long as the one before
   it is stored XORed with it (headers repeat from file to file); order-0 coded;
4. the records: the pixels of every image that is not opaque, in manifest order,
   little-endian, coded by the model in batches (``hclt-rans``, ``hclt-typed``).

Decompressing writes the folder again (:class:`FolderWriter`, into a new temporary
folder renamed into place at the end); the files are checked against the manifest's CRC32
before the folder is moved into place.
The whole folder is read into memory when compressing.

>>> import os, tempfile, numpy as np
>>> src = tempfile.mkdtemp()
>>> for i in range(3):
...     _ = open(os.path.join(src, f"{i}.pgm"), "wb").write(b"P5 2 2 255\\n" + bytes([i, 1, 2, 3]))
>>> _ = open(os.path.join(src, "notes.txt"), "wb").write(b"not an image")
>>> content = b"".join(data for data, _ in folder_segments(src, None))
>>> out = os.path.join(tempfile.mkdtemp(), "copy")
>>> writer = FolderWriter(out)
>>> _ = writer.write(content); writer.finish()
>>> sorted(os.listdir(out)), open(os.path.join(out, "2.pgm"), "rb").read()[-4:]
(['0.pgm', '1.pgm', '2.pgm', 'notes.txt'], b'\\x02\\x01\\x02\\x03')
"""
import json
import os
import shutil
import stat
import struct
import tempfile
import zlib
from collections import Counter
from typing import BinaryIO, Iterator

import numpy as np

from pcz.engine import image_files
from pcz.engine.pipeline import DEFAULT_CHUNK, Segment
from pcz.errors import FormatError, InputError
from pcz.format import container
from pcz.methods.registry import ORDER0, RAW
from pcz.models import values
from pcz.runtime.fileio import AtomicOutput

MAGIC = b"PCZset\x00\x01"
MAX_MANIFEST = 64 << 20
MAX_FILES = 1 << 20
KINDS = {"o": "opaque", "s": "splice", "p": "png"}


def compressed_name(path: str) -> str:
    """DIR -> DIR.pcz (a trailing slash dropped).

    >>> compressed_name("images/")
    'images.pcz'
    """
    return path.rstrip("/" + os.sep) + ".pcz"


def read_folder(path: str) -> list[tuple[str, bytes]]:
    """(name, bytes) of every file of a flat folder, sorted by name; InputError for a
    subfolder, link or special file."""
    out = []
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        mode = os.lstat(full).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{full} is not a regular file: folders are coded flat, regular files only")
        check_name(name)
        with open(full, "rb") as f:
            out.append((name, f.read()))
    if not out:
        raise InputError(f"{path} holds no files")
    return out


def check_name(name: str) -> str:
    """A file name a folder may hold: not empty, no separator, no NUL, not . or .., at most
    255 bytes (UTF-8); anything else is a FormatError (names come from decoded data)."""
    if (not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\\" in name
            or "\0" in name or len(name.encode("utf-8", "surrogateescape")) > 255):
        raise FormatError(f"invalid file name {name!r} in a folder")
    return name


def _record_key(pixels: np.ndarray) -> tuple[str, tuple[int, ...]]:
    return values.code_of(pixels.dtype), tuple(pixels.shape)


def analyse_folder(files: list[tuple[str, bytes]], model=None, as_records: bool = True):
    """(entries, rests, records, (type, shape)): the manifest entries, each file's rest, and
    the (N, *shape) array of the records (None if no file is one).  Records are the images
    of the model's type and shape whose values it can code, or without a model those of the
    most common type and shape; every other file is opaque (all, unless ``as_records``)."""
    cache: dict = {}
    found = [image_files.analyse(data, cache) if as_records else image_files.opaque(data)
             for _, data in files]
    keys = [_record_key(f.pixels) if f.pixels is not None else None for f in found]
    if model is not None:
        wanted = (model.dtype, tuple(model.shape))
    else:
        counts = Counter(k for k in keys if k is not None)
        wanted = counts.most_common(1)[0][0] if counts else None
    kinds, rests, records, params, use, crc = [], [], [], [], [], 0
    for (name, data), f, key in zip(files, found, keys):
        if key != wanted or (model is not None and not _fits(f.pixels, model)):
            f = image_files.opaque(data)
        if f.kind != "opaque":
            records.append(f.pixels.astype(f.pixels.dtype.newbyteorder("<")))
        if f.params not in params:
            params.append(f.params)
        kinds.append(f.kind[0])
        use.append(params.index(f.params))
        rests.append(f.rest)
    for kind, (_, data) in sorted(zip(kinds, files), key=lambda e: e[0] != "o"):   # stable
        crc = zlib.crc32(data, crc)       # in the order a decoder rebuilds them: opaque files first
    names = [name for name, _ in files]
    shared = [0] + [len(os.path.commonprefix([a, b])) for a, b in zip(names, names[1:])]
    manifest = {"version": 1, "crc": crc, "shared": shared, "names": [n[k:] for n, k in zip(names, shared)],
                "kinds": "".join(kinds), "rests": [len(r) for r in rests], "params": params, "use": use}
    if records:
        manifest.update(dtype=records[0].dtype.str, shape=list(wanted[1]))
    return manifest, rests, (np.stack(records) if records else None)


def _fits(pixels: np.ndarray, model) -> bool:
    try:
        X, _ = values.array_symbols(pixels[None], model.layout)
    except InputError:              # outside the model's value range
        return False
    return int(X.max()) < model.K


def folder_array(path: str) -> np.ndarray:
    """The records of a folder (for training): the pixels of its images of the most common
    type and shape (InputError if there are none)."""
    _, _, records = analyse_folder(read_folder(path))
    if records is None:
        raise InputError(f"{path} holds no images pcz can code as records")
    return records


def folder_segments(path: str, model=None, chunk_size: int = DEFAULT_CHUNK,
                    candidates: tuple = (ORDER0,), record_candidates: tuple = ()) -> Iterator[Segment]:
    """The content of an image set, cut into segments: magic, manifest, rests, record batches
    (``record_candidates``: the model's methods for them; without a model every file is opaque)."""
    from pcz.methods import hclt
    manifest, rests, records = analyse_folder(read_folder(path), model, model is not None)
    text = json.dumps(manifest, separators=(",", ":")).encode()
    yield MAGIC, ()                                            # raw: a folder is seen at once
    yield struct.pack("<I", len(text)) + text, candidates
    rest = b"".join(_xor_previous(rests))
    for at in range(0, len(rest), chunk_size):
        yield rest[at:at + chunk_size], candidates
    if records is None:
        return
    if model.dtype != "u1":
        record_candidates = (hclt.typed_method("<"),)
    flat = records.reshape(len(records), -1)
    per_chunk = max(1, chunk_size // flat[0].nbytes)
    for at in range(0, len(flat), per_chunk):
        yield flat[at:at + per_chunk].tobytes(), record_candidates


def _xor_previous(rests: list[bytes]) -> Iterator[bytes]:
    """Each rest XORed with the one before it when both are as long (its own inverse)."""
    before = None
    for rest in rests:
        yield _xor(rest, before) if before is not None and len(before) == len(rest) else rest
        before = rest


def _xor(a: bytes, b: bytes) -> bytes:
    return (np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)).tobytes()


def is_folder_stream(path: str) -> bool:
    """Whether the pcz file at ``path`` holds a folder (its first chunk is the raw MAGIC)."""
    try:
        with open(path, "rb") as f:
            reader = container.open_reader(f)
            for record, payload in reader.records():
                return record.method == RAW and payload == MAGIC
    except (OSError, FormatError, ValueError):
        return False
    return False


def _check_manifest(m) -> tuple[list[dict], np.dtype | None, tuple]:
    """The files (name, kind, rest length, parameters) of a manifest, its record type and
    shape; FormatError for anything malformed (the manifest comes from decoded data)."""
    try:
        n = len(m["names"])
        if m.get("version") != 1 or n > MAX_FILES or not all(len(m[k]) == n for k in ("shared", "kinds",
                                                                                   "rests", "use")):
            raise FormatError("folder manifest is not version 1")
        dtype, shape = None, ()
        if "dtype" in m:
            dtype = np.dtype(str(m["dtype"]))
            values.code_of(dtype)
            shape = tuple(int(s) for s in m["shape"])
            if not 2 <= len(shape) <= 3 or min(shape) < 1 or int(np.prod(shape)) > 1 << 26:
                raise FormatError("folder manifest has a bad record shape")
        if not isinstance(m["crc"], int) or not all(isinstance(p, dict) for p in m["params"]):
            raise FormatError("folder manifest is damaged")
        files, names, name = [], set(), ""
        for shared, suffix, kind, rest, use in zip(m["shared"], m["names"], m["kinds"], m["rests"], m["use"]):
            if not (isinstance(shared, int) and 0 <= shared <= len(name) and isinstance(suffix, str)
                    and isinstance(rest, int) and rest >= 0 and isinstance(use, int) and 0 <= use < len(m["params"])
                    and kind in KINDS and (kind == "o" or dtype is not None)):
                raise FormatError("folder manifest has a bad entry")
            name = check_name(name[:shared] + suffix)
            if name in names:
                raise FormatError("folder manifest names a file twice")
            names.add(name)
            files.append({"name": name, "kind": KINDS[kind], "rest": rest, "params": m["params"][use]})
        return files, dtype, shape
    except (KeyError, TypeError, ValueError, AttributeError, InputError) as e:
        raise FormatError(f"folder manifest is damaged ({type(e).__name__})") from None


class FolderWriter:
    """A sink for the content of an image set (:meth:`write` as decoding goes, then
    :meth:`finish`) that writes the folder ``target``: files go into a new temporary folder
    next to it, renamed to ``target`` when all are written and checked (refused if ``target``
    exists); on failure, :meth:`abort` removes the temporary folder."""

    def __init__(self, target: str):
        self.target = target.rstrip("/" + os.sep) or target
        if os.path.lexists(self.target):
            raise InputError(f"{self.target} already exists")
        parent = os.path.dirname(os.path.abspath(self.target))
        self.tmp = tempfile.mkdtemp(prefix="." + os.path.basename(self.target) + ".", dir=parent)
        self.buf = bytearray()
        self.files: list[dict] | None = None
        self.rests: dict[int, bytes] = {}
        self.next_rest = self.next_record = 0
        self.record_entries: list[int] = []

    def write(self, data: bytes) -> int:
        try:
            self.buf += data
            self._advance()
        except BaseException:
            self.abort()
            raise
        return len(data)

    def _take(self, n: int) -> bytes | None:
        if len(self.buf) < n:
            return None
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def _advance(self) -> None:
        if self.files is None:
            if len(self.buf) < len(MAGIC) + 4:
                return
            if bytes(self.buf[:len(MAGIC)]) != MAGIC:
                raise FormatError("the stream does not hold a folder")
            (length,) = struct.unpack_from("<I", self.buf, len(MAGIC))
            if length > MAX_MANIFEST:
                raise FormatError("folder manifest too large")
            if len(self.buf) < len(MAGIC) + 4 + length:
                return
            self._take(len(MAGIC) + 4)
            try:
                manifest = json.loads(self._take(length))
            except (ValueError, UnicodeDecodeError):
                raise FormatError("folder manifest is damaged") from None
            self.files, self.dtype, self.shape = _check_manifest(manifest)
            self.crc, self.before, self.running = manifest["crc"], None, 0
            self.record_entries = [i for i, e in enumerate(self.files) if e["kind"] != "opaque"]
        while self.next_rest < len(self.files):
            entry = self.files[self.next_rest]
            rest = self._take(entry["rest"])
            if rest is None:
                return
            if self.before is not None and len(self.before) == len(rest):
                rest = _xor(rest, self.before)
            self.before = rest
            if entry["kind"] == "opaque":
                self._put(entry, rest)
            else:
                self.rests[self.next_rest] = rest
            self.next_rest += 1
        size = 0 if self.dtype is None else self.dtype.itemsize * int(np.prod(self.shape))
        while self.next_record < len(self.record_entries):
            raw = self._take(size)
            if raw is None:
                return
            i = self.record_entries[self.next_record]
            pixels = np.frombuffer(raw, self.dtype).reshape(self.shape)
            entry = self.files[i]
            try:
                data = image_files.rebuild(entry["kind"], entry["params"], self.rests.pop(i), pixels)
            except (KeyError, TypeError, ValueError, IndexError, zlib.error) as e:
                raise FormatError(f"{entry['name']}: cannot rebuild the file ({e})") from None
            self._put(entry, data)
            self.next_record += 1
        if self.buf:
            raise FormatError("bytes after the last record of a folder")

    def _put(self, entry: dict, data: bytes) -> None:
        self.running = zlib.crc32(data, self.running)
        with AtomicOutput(os.path.join(self.tmp, entry["name"]), force=False) as f:
            f.write(data)

    def finish(self) -> None:
        """Check that every file was written, then move the folder into place."""
        try:
            if self.files is None or self.next_rest < len(self.files) \
                    or self.next_record < len(self.record_entries) or self.buf:
                raise FormatError("the folder's content ends early")
            if self.running != self.crc:
                raise FormatError("the rebuilt files do not match their checksum (rebuilding a PNG "
                                  "needs a zlib that deflates as the one it was written with)")
            os.chmod(self.tmp, 0o777 & ~_umask())
            if os.path.lexists(self.target):
                raise InputError(f"{self.target} already exists")
            os.rename(self.tmp, self.target)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def compress_folder(path: str, dst: BinaryIO, plan, *, threads: int = 1, embed_model: bool = False,
                    chunk_size: int = DEFAULT_CHUNK):
    """Compress the folder ``path`` into dst as ``plan`` says (a record model's plan codes its
    images as records; any other plan codes every file as bytes)."""
    from pcz import models
    from pcz.engine.pipeline import compress_segments
    model = models.load(plan.model) if plan.records else None
    bytes_methods = (ORDER0,) if plan.records else plan.candidates
    segments = folder_segments(path, model, chunk_size, bytes_methods, plan.candidates)
    return compress_segments(segments, dst, plan.model, embed_model, threads, chunk_size=chunk_size)
