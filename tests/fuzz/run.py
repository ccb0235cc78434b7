"""Coverage-guided fuzzing of pcz's decoders and loaders with atheris (libFuzzer).

    python tests/fuzz/run.py TARGET [libFuzzer options] [CORPUS_DIR ...]

Targets: container (pcz.decompress on arbitrary bytes), methods (chunk
payload decoders, behind the CRCs), roundtrip
(compress then decompress equals the input), model (model-file loader),
stream (pcz.open reading arbitrary bytes).  Seeds are generated from
tests/badfiles.py into a temporary folder when no corpus folder is given.
A crash is any exception that is not a pcz error, or a wrong round trip.

Short runs are part of the test suite (tests/test_fuzz.py); a longer run:

    python tests/fuzz/run.py container -max_total_time=600 -artifact_prefix=/tmp/
"""
import io
import os
import sys
import tempfile

import numpy  # noqa: F401  (imported before instrumentation: only pcz is instrumented)
import numba  # noqa: F401
import constriction  # noqa: F401
import click  # noqa: F401
import atheris

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

with atheris.instrument_imports(include=["pcz"]):
    import pcz
    from pcz import methods, models
    from pcz.errors import PczError

import badfiles  # noqa: E402

MEMORY = 16 << 20


def container_target(data: bytes) -> None:
    try:
        pcz.decompress(data, memory_limit=MEMORY)
    except PczError:
        pass


def roundtrip_target(data: bytes) -> None:
    if not data:
        return
    chunk = 1 + data[0] * 7
    if pcz.decompress(pcz.compress(data[1:], chunk_size=chunk)) != data[1:]:
        raise AssertionError("round trip changed the data")


def methods_target(data: bytes) -> None:
    """Chunk payload decoders behind the CRCs: method byte, 3-byte size, payload."""
    if len(data) < 4:
        return
    method = methods.get(data[0] % 2)   # raw, order0 (model-free methods)
    size = int.from_bytes(data[1:4], "little") % (1 << 16)
    try:
        out = method.decode(data[4:], size, None)
    except PczError:
        return
    if len(out) != size:
        raise AssertionError(f"{method.name} returned {len(out)} bytes for a chunk of {size}")


def model_target(data: bytes) -> None:
    try:
        models.load(data)
    except PczError:
        pass


def stream_target(data: bytes) -> None:
    try:
        with pcz.open(io.BytesIO(data), memory_limit=MEMORY) as f:
            while f.read(1000):
                pass
    except PczError:
        pass


TARGETS = {"container": container_target, "methods": methods_target, "roundtrip": roundtrip_target,
           "model": model_target, "stream": stream_target}


def seed_folder() -> str:
    folder = tempfile.mkdtemp(prefix="pcz-fuzz-seeds-")
    for i, (blob, _) in enumerate(badfiles.base_files().values()):
        with open(os.path.join(folder, f"seed{i}"), "wb") as f:
            f.write(blob)
    return folder


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: run.py {{{','.join(TARGETS)}}} [libFuzzer options] [CORPUS ...]")
    target = TARGETS[sys.argv[1]]
    badfiles.register_test_model()
    args = [sys.argv[0]] + sys.argv[2:]
    if not any(not a.startswith("-") for a in args[1:]):
        args.append(seed_folder())
    atheris.Setup(args, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
