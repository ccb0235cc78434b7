"""Coverage-guided fuzzing of pcz's decoders and loaders with atheris (libFuzzer).

    python tests/fuzz/run.py TARGET [libFuzzer options] [CORPUS_DIR ...]

Targets: container (pcz.decompress on arbitrary bytes), methods (chunk
payload decoders behind the CRCs, all methods: raw, order0, hclt and
hclt-rans with a tiny model, hmm, windows and hmm-mix with the shipped text model, npy-header,
hclt-typed with a tiny uint16 model, npy-header-typed),
roundtrip
(compress then decompress equals the input), model (model-file loader),
stream (pcz.open reading arbitrary bytes), folder (the writer of a compressed folder's
content, pcz.engine.folders.FolderWriter, on arbitrary bytes: nothing may be written
outside its temporary folder, which is gone afterwards).  Seeds are generated from
tests/badfiles.py (both framings: compact and not, and the forged attacks of
docs/SECURITY.md) into a temporary folder when no corpus folder is given.
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

# numba kernels (pcz.coders) cannot be instrumented: atheris' hooks are not typable
# in nopython mode; they are fuzzed through their instrumented callers.
KERNELS = [f"pcz.coders.{name}" for name in ("binary_coder", "cm", "hmm_chain", "long_match", "range_coder",
                                              "tree_pc", "tree_rans", "window_coder")]
with atheris.instrument_imports(include=["pcz"], exclude=KERNELS):   # exact names only
    import pcz
    from pcz import methods, models, tokens  # noqa: F401
    from pcz.format import compact  # noqa: F401  (lazily loaded otherwise)
    from pcz.methods import cm, hclt, long, npy_header, text  # noqa: F401
    from pcz.models import hclt as hclt_model, hmm  # noqa: F401
    from pcz.engine import folders
    from pcz.errors import PczError

import badfiles  # noqa: E402

MEMORY = 128 << 20      # room for the shipped text model and its tables (docs/SECURITY.md)


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


# raw, order0, hclt, hmm, windows, hclt-rans, hmm-mix, npy-header, cm, hclt-typed, npy-header-typed, long
METHOD_IDS = (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12)
_MODELS = {}


def _model_for(method_id: int):
    """The shipped text model for text methods, a tiny HCLT for record methods."""
    if not _MODELS:
        import badmodels
        from pcz.methods.text import default_model
        _MODELS["text"] = default_model()
        _MODELS["hclt"] = models.load(badmodels.tiny_hclt())
        _MODELS["hclt-typed"] = models.load(badmodels.tiny_hclt_typed())
    return {3: _MODELS["text"], 4: _MODELS["text"], 6: _MODELS["text"], 2: _MODELS["hclt"], 5: _MODELS["hclt"],
            10: _MODELS["hclt-typed"]}.get(method_id)


def methods_target(data: bytes) -> None:
    """Chunk payload decoders behind the CRCs: method byte, 3-byte size, payload."""
    if len(data) < 4:
        return
    method = methods.get(METHOD_IDS[data[0] % len(METHOD_IDS)])
    size = int.from_bytes(data[1:4], "little") % (1 << 16)
    try:
        if method.id == methods.LONG:      # its literals and matches (the copying needs the content before)
            parts = long.decode_parts(data[4:], size, _model_for(6))
            out = b"\0" * (len(parts.literals) + int(parts.matches[:, 2].sum()))
        else:
            out = method.decode(data[4:], size, _model_for(method.id))
    except PczError:
        return
    if len(out) != size:
        raise AssertionError(f"{method.name} returned {len(out)} bytes for a chunk of {size}")


def model_target(data: bytes) -> None:
    """The model loaders, on the bytes as given and with the trailing CRC32 made right
    (both model formats end with one), so validation behind the checksum is reached."""
    import badmodels
    for blob in (data, badmodels.recrc(data) if len(data) >= 4 else data):
        try:
            models.load(blob)
        except PczError:
            pass


def stream_target(data: bytes) -> None:
    try:
        with pcz.open(io.BytesIO(data), memory_limit=MEMORY) as f:
            while f.read(1000):
                pass
    except PczError:
        pass


_FOLDER_ROOT = tempfile.mkdtemp(prefix="pcz-fuzz-folder-")


def folder_target(data: bytes) -> None:
    import shutil
    target = os.path.join(_FOLDER_ROOT, "out")
    writer = folders.FolderWriter(target)
    try:
        writer.write(data)
        writer.finish()
    except PczError:
        pass
    shutil.rmtree(target, ignore_errors=True)
    if os.listdir(_FOLDER_ROOT):
        raise AssertionError(f"left behind: {os.listdir(_FOLDER_ROOT)}")


TARGETS = {"container": container_target, "folder": folder_target, "methods": methods_target, "roundtrip": roundtrip_target,
           "model": model_target, "stream": stream_target}


def long_file() -> bytes:
    """A stream with long chunks (method 12, a window in its header): 1.1 MB of text
    in chunks of 64 KiB, all but the first copied from the one before."""
    out = io.BytesIO()
    from pcz.engine.encode import compress
    compress(io.BytesIO((b"Long-range matches copy from earlier chunks. " * 24000)[:1_100_000]), out,
             chunk_size=1 << 16, fast=True, long=True)
    return out.getvalue()


def seeds(target: str) -> list[bytes]:
    """Valid inputs to start from: pcz files, model files, or method payloads."""
    if target == "model":
        import badmodels
        return list(badmodels.valid_models().values())
    if target == "folder":
        import json
        import struct
        manifest = json.dumps({"version": 1, "crc": 0x352441C2, "shared": [0, 0], "names": ["a.txt", "b"],
                               "kinds": "oo", "rests": [3, 0], "params": [{}], "use": [0, 0]}).encode()
        return [folders.MAGIC + struct.pack("<I", len(manifest)) + manifest + b"abc"]
    files = [blob for blob, _ in badfiles.base_files().values()] + [long_file()]
    if target == "roundtrip":
        return files
    files += badfiles.attack_seeds()
    if target != "methods":
        return files
    out = []
    for blob in files:
        for method, size, payload in badfiles.parse(blob).chunks():
            if method in METHOD_IDS:
                out.append(bytes([METHOD_IDS.index(method)]) + (size % (1 << 24)).to_bytes(3, "little") + payload)
    import numpy as np
    from pcz.methods.npy_header import header
    typed = np.array([[1, 770], [0, 515], [3, 2]], ">u2").tobytes()
    out.append(bytes([METHOD_IDS.index(10)]) + len(typed).to_bytes(3, "little")
               + hclt.typed_method(">").encode(typed, _model_for(10)))
    h = header((3, 2), "<i2")
    out.append(bytes([METHOD_IDS.index(11)]) + len(h).to_bytes(3, "little") + npy_header.encode_typed(h, None))
    text = b"Windows of text decode on their own. " * 8
    for W in (16, 32, 64, 128):
        from pcz.methods.text import windows_method
        out.append(bytes([4]) + len(text).to_bytes(3, "little") + windows_method(W).encode(text, _model_for(4)))
    for data in (text, bytes(range(256)) * 2 + text):
        out.append(bytes([METHOD_IDS.index(9)]) + len(data).to_bytes(3, "little") + cm.encode(data))
    return out


def seed_folder(target: str) -> str:
    folder = tempfile.mkdtemp(prefix="pcz-fuzz-seeds-")
    for i, blob in enumerate(seeds(target)):
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
        args.append(seed_folder(sys.argv[1]))
    atheris.Setup(args, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
