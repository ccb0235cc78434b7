"""The pretraining text of the default text model, built from Debian packages.

Sources (both permissively licensed, both in Debian main; provenance and
licences are recorded in pcz/models/data/TEXT_MODEL.md):

- ``r-cran-janeaustenr`` (MIT; the novels are public domain): the six novels of
  Jane Austen, stored as R character vectors in a lazy-load database.
- ``python3.11-doc`` (PSF licence): the reStructuredText sources of the Python
  documentation (``html/_sources/**/*.rst.txt``).

Split: "Persuasion" and every tenth documentation file (sorted by path) are
held out for validation; the rest is training text.  No benchmark file
(Canterbury or any other) is ever part of it.

Line conventions: both sources use LF line ends and spaces only, while text
files in the wild often use CRLF and tabs, which a model that never saw a CR
or a TAB codes very badly.  So the documents of each part, in order, are
varied deterministically (:func:`vary`): every second one gets CRLF line ends,
and every fourth (from the third) indents with tabs instead of spaces.

Run ``python -m pcz.bench.experiments.text_corpus OUT_DIR`` (needs ``apt-get download``
and ``dpkg -x``) to write ``OUT_DIR/train.txt`` and ``OUT_DIR/valid.txt``.

>>> _r_strings(_xdr_strsxp([b"It is a truth", b"", None]))
['It is a truth', '', '']
"""
import argparse
import glob
import gzip
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib

PACKAGES = ("r-cran-janeaustenr", "python3.11-doc")
AUSTEN_DATA = "usr/lib/R/site-library/janeaustenr/data/Rdata"
DOC_SOURCES = "usr/share/doc/python3.11/html/_sources"
VALID_NOVEL = "persuasion"
STRSXP = 16


def _xdr_strsxp(items: list[bytes | None]) -> bytes:
    """An R XDR serialisation of a character vector (for tests)."""
    out = bytearray(b"X\n" + struct.pack(">iii", 2, 0x40200, 0x20300))
    out += struct.pack(">ii", STRSXP, len(items))
    for item in items:
        out += struct.pack(">ii", 0x40009, -1 if item is None else len(item)) + (item or b"")
    return bytes(out)


def _r_strings(blob: bytes) -> list[str]:
    """Decode an R XDR-serialised character vector (NA becomes '')."""
    if blob[:2] != b"X\n":
        raise ValueError("not an R XDR serialisation")
    version = struct.unpack(">i", blob[2:6])[0]
    pos = 14
    if version == 3:
        pos += 4 + struct.unpack(">i", blob[pos:pos + 4])[0]
    flags, n = struct.unpack(">ii", blob[pos:pos + 8])
    if flags & 0xFF != STRSXP:
        raise ValueError("not a character vector")
    pos += 8
    out = []
    for _ in range(n):
        _, length = struct.unpack(">ii", blob[pos:pos + 8])
        pos += 8
        if length < 0:
            out.append("")
            continue
        out.append(blob[pos:pos + length].decode("utf-8"))
        pos += length
    return out


def austen_novels(root: str) -> dict[str, str]:
    """The novels in an unpacked r-cran-janeaustenr, by R variable name."""
    index = gzip.decompress(open(os.path.join(root, AUSTEN_DATA + ".rdx"), "rb").read())
    at = index.index(b"\x00\x00\x00\x05names") + 9
    names = _r_strings(b"X\n" + struct.pack(">iii", 2, 0, 0) + index[at:])
    spans = [struct.unpack(">ii", index[m.end():m.end() + 8])
             for m in re.finditer(b"\x00\x00\x00\r\x00\x00\x00\x02", index)]
    db = open(os.path.join(root, AUSTEN_DATA + ".rdb"), "rb").read()
    out = {}
    for name, (offset, length) in zip(names, spans):
        blob = zlib.decompress(db[offset + 4:offset + length])
        out[name] = "\n".join(_r_strings(blob)) + "\n"
    return out


def python_docs(root: str) -> dict[str, str]:
    """The reStructuredText sources of the Python documentation, by relative path."""
    base = os.path.join(root, DOC_SOURCES)
    paths = sorted(glob.glob(os.path.join(base, "**", "*.rst.txt"), recursive=True))
    return {os.path.relpath(p, base): open(p, encoding="utf-8").read() for p in paths}


def vary(text: str, i: int) -> str:
    """The i-th document's line convention: CRLF for odd i, tab indents for i % 4 == 2.

    >>> vary("a\\n        b\\n", 1), vary("a\\n        b\\n", 2)
    ('a\\r\\n        b\\r\\n', 'a\\n\\t\\tb\\n')
    """
    if i % 4 == 2:
        text = re.sub(r"(?m)^ +", lambda m: "\t" * -(-len(m.group(0)) // 4), text)
    if i % 2 == 1:
        text = text.replace("\n", "\r\n")
    return text


def split(root: str) -> tuple[str, str]:
    """(train, valid) text from an unpacked tree of both packages."""
    train, valid = [], []
    docs = [(name == VALID_NOVEL, text) for name, text in sorted(austen_novels(root).items())]
    docs += [(i % 10 == 9, text) for i, (_, text) in enumerate(sorted(python_docs(root).items()))]
    for held_out, text in docs:
        part = valid if held_out else train
        part.append(vary(text, len(part)))
    return "".join(train), "".join(valid)


def fetch(root: str) -> None:
    """Download the packages with apt-get and unpack them under root."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", *PACKAGES], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        for deb in glob.glob(os.path.join(tmp, "*.deb")):
            subprocess.run(["dpkg", "-x", deb, root], check=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Build the text model's training and validation "
                                     "text (train.txt, valid.txt) from Debian packages.")
    parser.add_argument("out_dir", nargs="?", default="text-corpus", help="folder to write (default: text-corpus)")
    out_dir = parser.parse_args(argv).out_dir
    os.makedirs(out_dir, exist_ok=True)
    root = os.path.join(out_dir, "packages")
    if not os.path.isdir(os.path.join(root, DOC_SOURCES)):
        fetch(root)
    train, valid = split(root)
    for name, text in (("train.txt", train), ("valid.txt", valid)):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write(text)
        print(f"{name}: {len(text.encode())} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
