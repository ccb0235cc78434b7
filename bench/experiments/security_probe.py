"""Forged hostile .pcz files and a probe of what decoding them costs (docs/SECURITY.md).

    python -m pcz.bench.experiments.security_probe [--memory 64M] [--threads 4] [--timeout 120]
    python -m pcz.bench.experiments.security_probe --work

builds each attack in a temporary folder, runs ``pcz decompress -c`` on it, and prints
the exit status, the first line of stderr, the peak RSS of the process tree (the pcz
process and its workers, sampled every 10 ms) and the CPU time of the tree:

- ``model-bomb``: an embedded HCLT model whose parameters are a deflate bomb (about
  380 KiB that inflate to 384 MiB), with a correct CRC and model id (:func:`model_bomb`);
- ``zero-chunks``: chunks of 64 MiB of zeros, order-0 coded (legitimate, about 300
  bytes each; :func:`zero_chunks`); ``zero-chunks-4m``: 24 chunks of 4 MiB, each within
  the chunk cap of ``--memory 64M`` (limit / 8);
- ``cpu-bomb``: hmm-mix chunks whose 8-byte payloads claim 1 MiB each (:func:`cpu_bomb`);
  ``cpu-bomb-64m``: one such chunk claiming 64 MiB.

The forgers are used by tests/security and the fuzz seeds (tests/badfiles.py).

>>> blob = cpu_bomb(chunks=1, size=1000)
>>> blob[:4], len(blob) < 200
(b'\\x89PCZ', True)
"""
import argparse
import hashlib
import os
import resource
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

import numpy as np
import psutil

from pcz.format import fields
from pcz.format.method_ids import HCLT_RANS, HMM_MIX, ORDER0
from pcz.methods import order0
from pcz.coders.range_coder import Encoder
from pcz.bench.experiments.stream_memory import _tree_rss

MIB = 1 << 20
_HCLT_HEAD = struct.Struct("<8sHHIIIBB")


def container(records: list[tuple[int, int, int, bytes]], model_id: bytes | None = None,
              model_bytes: bytes | None = None, digest: bytes | None = None) -> bytes:
    """A chunked-framing pcz file of ``records`` (method, size, crc, payload), every framing
    CRC right; ``digest`` (the content's BLAKE2b-128) defaults to zeros (a damaged content)."""
    head = fields.Header(model_id, model_bytes).to_bytes()
    out = bytearray(head)
    table = []
    for method, size, crc, payload in records:
        out += fields.Record(method, size, len(payload), crc).to_bytes(payload)
        table.append(fields.Record(method, size, len(payload), crc))
    body = bytearray(struct.pack("<BI", fields.END_TAG, len(table)))
    for r in table:
        body += fields.TABLE_ENTRY.pack(r.size, r.stored, r.crc)
    body += struct.pack("<Q", sum(r.size for r in table)) + (digest or bytes(fields.DIGEST_SIZE))
    body += struct.pack("<I", zlib.crc32(body))
    return bytes(out + body + struct.pack("<I", len(body)) + fields.END_MAGIC)


def hclt_bomb_model(D: int = 1024, K: int = 256, M: int = 256, qbits: int = 24) -> bytes:
    """An HCLT model file whose header states D, K, M, qbits (at most 2**27 parameters, the
    format's cap) and whose parameters are deflated zeros: about 1/1000 of the stated size,
    CRC right (the zeros are not valid rows, which only the fully inflated body shows)."""
    n_values = M + (D - 1) * M * M + D * M * K
    planes = (qbits + 7) // 8
    left = planes * n_values
    packer = zlib.compressobj(9)
    packed = bytearray()
    block = bytes(4 * MIB)
    while left:
        piece = block[:min(left, len(block))]
        packed += packer.compress(piece)
        left -= len(piece)
    packed += packer.flush()
    out = bytearray(_HCLT_HEAD.pack(b"\x89PCZhclt", 2, 0, D, K, M, qbits, 1))
    out += struct.pack("<I", D)
    out += np.arange(-1, D - 1, dtype="<i4").tobytes()          # a chain: a valid tree
    out += struct.pack("<I", len(packed)) + packed
    out += struct.pack("<I", zlib.crc32(out))
    return bytes(out)


def model_bomb(**model_shape) -> bytes:
    """A .pcz file embedding :func:`hclt_bomb_model` (id and CRCs right) and one hclt-rans chunk."""
    model = hclt_bomb_model(**model_shape)
    D = _HCLT_HEAD.unpack_from(model)[3]
    payload = struct.pack("<II", 1 << 31, 0)
    return container([(HCLT_RANS, D, 0, payload)], fields.model_id(model), model)


def zero_chunk_payload(size: int = 64 * MIB) -> bytes:
    """The order-0 payload of ``size`` zero bytes, exactly as :func:`pcz.methods.order0.encode`
    writes it, coded a piece at a time (no array of ``size`` symbols is built)."""
    counts = np.zeros(256, dtype=np.int64)
    counts[0] = size
    counts = order0._quantised_counts(counts)
    enc = Encoder()
    piece = np.zeros(min(size, 4 * MIB), dtype=np.int32)
    left = size
    while left:
        enc.encode_iid(piece[:min(left, len(piece))], counts.astype(np.float64))
        left -= min(left, len(piece))
    return order0.write_table(counts) + enc.finish()


def zero_chunks(chunks: int = 8, size: int = 64 * MIB) -> bytes:
    """A valid .pcz file of ``chunks`` order-0 chunks of ``size`` zero bytes each."""
    payload = zero_chunk_payload(size)
    crc, digest = 0, fields.content_digest()
    block = bytes(min(size, 4 * MIB))
    for _ in range(size // len(block)):
        crc = zlib.crc32(block, crc)
    tail = bytes(size % len(block))
    crc = zlib.crc32(tail, crc)
    for _ in range(chunks):
        for _ in range(size // len(block)):
            digest.update(block)
        digest.update(tail)
    return container([(ORDER0, size, crc, payload)] * chunks, digest=digest.digest())


def cpu_bomb(chunks: int = 3, size: int = MIB, payload: bytes = b"\x01" + bytes(7)) -> bytes:
    """hmm-mix chunks (mode byte 1, the shipped text model's id) whose short payloads claim
    ``size`` bytes each; every CRC of the framing right, the chunk CRCs wrong."""
    from pcz.methods.text import default_model_bytes
    mid = fields.model_id(default_model_bytes())
    return container([(HMM_MIX, size, 0, payload)] * chunks, mid)


ATTACKS = {"model-bomb": model_bomb, "zero-chunks": zero_chunks,
           "zero-chunks-4m": lambda: zero_chunks(chunks=24, size=4 * MIB), "cpu-bomb": cpu_bomb,
           "cpu-bomb-64m": lambda: cpu_bomb(chunks=1, size=64 * MIB)}


def run(args: list[str], timeout: float = 600.0, interval: float = 0.01, against: str | None = None) -> dict:
    """Run ``python -m pcz ARGS`` (stdout discarded); exit status, stderr, the peak RSS of the
    process tree in MiB, and the CPU seconds of the tree (the children it waited for included).
    ``against``: a folder holding another pcz tree to run instead (put first on the path)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=against) if against else None
    proc = subprocess.Popen([sys.executable, "-m", "pcz", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, cwd="/" if against else None)
    peak, done = [0], threading.Event()

    def sample():
        tree = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                peak[0] = max(peak[0], _tree_rss(tree))
            except psutil.Error:
                return
            done.wait(interval)
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        err = proc.communicate(timeout=timeout)[1]
        code = proc.returncode
    except subprocess.TimeoutExpired:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        err, code = proc.communicate()[1] + b"(killed at the timeout)", None
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"code": code, "stderr": err.decode(errors="replace").strip(), "peak_rss_mib": peak[0] / MIB,
            "cpu_s": cpu, "wall_s": time.perf_counter() - t0}


def probe(memory: str, threads: int, timeout: float, names=None, against: str | None = None) -> list[dict]:
    """Decode each attack (and, for the baseline, a tiny valid file) under ``--memory`` and ``-T``."""
    import pcz
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = {"baseline": lambda: pcz.compress(b"A short text for the text model. " * 40)}
        cases.update(ATTACKS)
        for name, make in cases.items():
            if names and name not in names and name != "baseline":
                continue
            path = os.path.join(tmp, name + ".pcz")
            with open(path, "wb") as f:
                f.write(make())
            result = run(["decompress", "-c", "--memory", memory, "-T", str(threads), path], timeout,
                         against=against)
            result.update(attack=name, input_bytes=os.path.getsize(path),
                          input_sha=hashlib.sha256(open(path, "rb").read()).hexdigest()[:12])
            out.append(result)
    return out


def work_bounds(size: int = 1 << 18) -> list[dict]:
    """Per chunk method: its payload floor (bits per original byte), the most original bytes a
    payload byte can claim (8 / floor), the measured decode time per original byte, and so the
    most CPU a payload byte can cost."""
    from pcz import methods
    from pcz.methods import hclt, text
    from pcz.models.hclt import HcltModel
    rng = np.random.default_rng(0)
    prose = (b"It was the best of times, it was the worst of times, it was the age of wisdom. " * 4000)[:size]
    record_model = HcltModel.from_float(np.arange(-1, 15), *[rng.dirichlet(np.ones(n), size=shape) for n, shape in
                                                              ((16, None), (16, (16, 16)), (16, (16, 16)))])
    records = rng.integers(0, 16, size).astype(np.uint8).tobytes()
    cases = [(methods.ORDER0, prose, None), (methods.HMM, prose, text.default_model()),
             (methods.HMM_MIX, prose, text.default_model()), (methods.WINDOWS, prose[:1 << 16], text.default_model()),
             (methods.HCLT_RANS, records, record_model), (methods.HCLT, records[:1 << 16], record_model)]
    out = []
    for method_id, data, model in cases:
        method = methods.get(method_id)
        payload = method.encode(data, model)
        method.decode(payload, len(data), model)                       # compile, build tables
        t0 = time.process_time()
        method.decode(payload, len(data), model)
        per_byte = (time.process_time() - t0) / len(data)
        floor = max(method.min_bits, method.model_bits(model) if model is not None and method.model_bits else 0)
        out.append({"method": method.name, "min_bits": floor, "bytes_per_payload_byte": 8 / floor,
                    "decode_us_per_byte": 1e6 * per_byte, "cpu_s_per_payload_byte": 8 / floor * per_byte,
                    "note": "model: M=16, K=16, qbits 16" if model is record_model else ""})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memory", default="512M")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--work", action="store_true", help="print each method's work bound and stop")
    parser.add_argument("--against", help="run the pcz in this folder instead (e.g. an older tree from "
                                          "`git archive`, with pcz/coders linked to ../coders)")
    parser.add_argument("attacks", nargs="*", help=f"some of {', '.join(ATTACKS)} (default: all)")
    args = parser.parse_args()
    if args.work:
        for r in work_bounds():
            print(f"{r['method']:10s} floor {r['min_bits']:.3g} bits/byte: a payload byte claims at most "
                  f"{r['bytes_per_payload_byte']:,.0f} bytes; decode {r['decode_us_per_byte']:.3f} us/byte "
                  f"-> at most {r['cpu_s_per_payload_byte']:.3g} s CPU per payload byte {r['note']}")
        return
    for r in probe(args.memory, args.threads, args.timeout, args.attacks, args.against):
        print(f"{r['attack']:13s} --memory {args.memory} -T{args.threads}: {r['input_bytes']:7d} B in, "
              f"exit {r['code']}, peak RSS {r['peak_rss_mib']:7.1f} MiB, CPU {r['cpu_s']:6.1f} s, "
              f"wall {r['wall_s']:6.1f} s: {r['stderr'].splitlines()[-1] if r['stderr'] else ''}", flush=True)


if __name__ == "__main__":
    main()
