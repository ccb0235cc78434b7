"""Method ``lz-rans`` (13): an LZ77 parse and static rANS tables, the fast level's method.

The chunk is parsed into literal runs and matches within the chunk
(:mod:`pcz.coders.lz_parse`), and the symbols are coded with per-chunk tables and
two interleaved rANS states (:mod:`pcz.coders.lz_rans`): over 100 MB/s both ways on the
Canterbury texts, in CPU time (bench/experiments/results/fast_level.md).
Literals are coded in the table of their previous byte's class (:data:`CLASSES`:
space, line ends, vowels, consonants, capitals, digits, ... ) or in one table,
whichever the encoder estimates smaller (the mode byte).  When the parse would not
beat the bytes' order-0 entropy, the chunk is coded as one literal run: a chunk is
never much larger than with ``order0-rans``.

Chunks under :data:`SMALL` bytes are parsed and coded by the same kernels in plain Python
(:mod:`pcz.coders.lz_small`, the same payload byte for byte) while numba's LZ kernels are not
yet loaded in the process, for the first :data:`PYTHON_BUDGET` bytes: a short file then never
pays numba's start-up (over a second).

Payload (docs/FORMAT.md): the mode byte (bit 0: one literal table per class, or one in all;
bit 1: compact tables), the tables (literal-run lengths, match lengths, offsets, then the literal
tables), exact or compact, whichever the encoder estimates smaller with the symbols they code.
An exact table is the number m of symbols it covers (LEB128, 0 for an unused literal table), a
bitmap of ceil(m / 8) bytes of the present symbols and their frequencies (LEB128, 1..4095,
summing to 4096); a compact one stores each present symbol's frequency as one of 16 weights in
4 bits (pcz.coders.lz_tables.write_compact), about half the bytes, for a small loss in
precision: chunks whose tables are a large part of the payload use them.  Then the extra bits'
length (LEB128) and bytes; then the two final rANS states (4 bytes each, little-endian) and
the 16-bit words.

>>> data = b"It was the best of times, it was the worst of times. " * 20
>>> payload = encode(data)
>>> len(payload) < len(data) // 4, decode(payload, len(data)) == data
(True, True)
"""
import math
import sys

import numpy as np

from pcz import methods
from pcz.coders import lz_small
from pcz.coders.errors import CodingError
from pcz.errors import FormatError
from pcz.format.binio import Reader, varint

LEN_SYMBOLS, OFFSET_SYMBOLS, TOTAL = 44, 33, 4096   # lz_parse / rans_order0 (numba loads on use)
MAX_MATCH = 1 << 16                                  # lz_parse.MAX_MATCH
COMPACT = 2                        # the mode byte's bit for compact tables
MODES = (0, 1, COMPACT, 1 | COMPACT)
SMALL = lz_small.LIMIT              # shorter chunks are coded in Python unless numba's LZ kernels are loaded
# a process that has coded this many bytes in Python loads numba's kernels for the next chunk:
# loading them (over a second) costs roughly what coding 1 MiB in Python does (1-2 us a byte),
# so a stream of many short chunks takes at most about twice as long as the better of the two
PYTHON_BUDGET = 1 << 20
_python_bytes = 0                   # bytes coded (both ways) by pcz.coders.lz_small in this process


def _classes() -> np.ndarray:
    groups = [" ", "\n\r\t", "aeiou", "bcdfghjklmnpqrstvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789",
              ".!?", ",;:", "'\"`"]
    table = np.full(256, 11, dtype=np.uint8)       # 11: other control bytes
    table[33:127] = 9                              # 9: other printable ASCII
    table[128:] = 10                               # 10: bytes above ASCII
    for k, chars in enumerate(groups):
        table[[ord(c) for c in chars]] = k
    return table


CLASSES = _classes()               # a byte's class: the literal table of the byte after it (mode 1)
CONTEXTS = {0: np.zeros(256, dtype=np.uint8), 1: CLASSES}
NTABLES = {0: 4, 1: 3 + int(CLASSES.max()) + 1}
ALPHABETS = {mode: np.array([LEN_SYMBOLS, LEN_SYMBOLS, OFFSET_SYMBOLS] + [256] * (NTABLES[mode] - 3))
             for mode in (0, 1)}          # the most symbols each table may cover (by mode bit 0)
TABLE_MEMORY = 16 * 8192           # the decoder's tables for at most 16 of them (symbols, freq, cum)
# the fewest payload bits per byte: a match of MAX_MATCH bytes costs at least its length and
# offset symbols, each at least log2(4096 / 4095) bits (a literal costs more)
MIN_BITS = 2 * math.log2(TOTAL / (TOTAL - 1)) / MAX_MATCH


def _in_python(size: int) -> bool:
    """Whether a chunk of ``size`` bytes is coded by :mod:`pcz.coders.lz_small`: it is short,
    numba's LZ kernels are not loaded, and this process has coded less than
    :data:`PYTHON_BUDGET` bytes in Python so far (the payload is the same either way).

    >>> _in_python(SMALL), _in_python(PYTHON_BUDGET + 1)
    (False, False)
    """
    return size < SMALL and "pcz.coders.lz_rans" not in sys.modules and _python_bytes + size <= PYTHON_BUDGET


def _kernels(size: int) -> tuple:
    """The (parse, tables, rANS) modules that code a chunk of ``size`` bytes."""
    global _python_bytes
    if _in_python(size):
        _python_bytes += size
        return lz_small, lz_small, lz_small
    from pcz.coders import lz_parse, lz_rans, lz_tables     # numba: imported when this method runs
    return lz_parse, lz_tables, lz_rans


def _literal_stream(arr: np.ndarray):
    """The symbol stream of the chunk as one literal run, as lz_parse.parse returns it."""
    s, v, k = lz_small.length_code(len(arr))
    syms = np.r_[np.uint8(s), arr].astype(np.uint8)
    previous = np.r_[np.uint8(0), arr[:-1]] if len(arr) else np.zeros(0, dtype=np.uint8)
    tabs = np.r_[np.uint8(lz_small.T_LL), lz_small.T_LIT + CLASSES[previous]].astype(np.uint8)
    counts = np.bincount(tabs.astype(np.int64) * 256 + syms, minlength=NTABLES[1] * 256).reshape(NTABLES[1], 256)
    return syms, tabs, lz_small.pack_bits([v], [k]), k, counts


def encode(data: bytes) -> bytes:
    """The lz-rans payload of ``data``."""
    arr = np.frombuffer(data, dtype=np.uint8)
    lz_parse, lz_tables, lz_rans = _kernels(len(arr))
    syms, tabs, bits, nbits, counts = lz_parse.parse(arr, CLASSES)
    costs = [int(c) + (nbits << lz_tables.FRAC) for c in lz_tables.mode_costs(counts, lz_parse.T_LIT)]
    if min(costs) > lz_tables.row_cost(lz_parse.byte_counts(arr)):   # matches do not pay
        syms, tabs, bits, nbits, counts = _literal_stream(arr)
        costs = [int(c) for c in lz_tables.mode_costs(counts, lz_parse.T_LIT)]
    mode = costs.index(min(costs))               # the first of equal ones
    if mode == 0:
        tabs = np.minimum(tabs, lz_parse.T_LIT)
        counts = np.concatenate([counts[:3], counts[3:].sum(axis=0, keepdims=True)])
    counts[:3, 0] += ~counts[:3].any(axis=1)     # the decoder wants the three length/offset tables
    compact, freq, tables = _tables(counts, ALPHABETS[mode], lz_tables)
    mode |= COMPACT * compact
    words, x0, x1 = lz_rans.encode(syms, tabs, freq)
    return b"".join([bytes([mode]), tables, varint(len(bits)), bits, np.array([x0, x1], dtype="<u4"),
                     words.astype("<u2", copy=False)])      # arrays: not copied twice


def _tables(counts: np.ndarray, alphabets: np.ndarray, lz_tables):
    """(compact, frequencies, tables' bytes): the compact tables when they cost less than the
    exact ones, the symbols they code included (integer estimates: the same choice everywhere)."""
    freq = lz_tables.normalise_rows(counts, alphabets)
    buf = np.zeros(lz_tables.TABLE_BYTES * len(freq), dtype=np.uint8)
    exact = buf[:lz_tables.write_tables(freq, buf)].tobytes()
    weights = lz_tables.compact_rows(freq)
    rough = lz_tables.normalise_rows(weights, alphabets)
    buf[:] = 0
    compact = buf[:lz_tables.write_compact(weights, alphabets, buf)].tobytes()
    if (int(lz_tables.code_cost(counts, rough)) + (len(compact) << (lz_tables.FRAC + 3))
            < int(lz_tables.code_cost(counts, freq)) + (len(exact) << (lz_tables.FRAC + 3))):
        return True, rough, compact
    return False, freq, exact


def decode(payload: bytes, size: int) -> bytes:
    """Invert :func:`encode` for a chunk of ``size`` original bytes; FormatError if damaged."""
    _, lz_tables, lz_rans = _kernels(size)
    if not payload or payload[0] not in MODES:
        raise FormatError(f"unknown lz-rans mode {payload[0] if payload else None}")
    mode = payload[0] & 1
    freq = np.zeros((NTABLES[mode], 256), dtype=np.int64)
    head = np.frombuffer(payload, dtype=np.uint8)
    if payload[0] & COMPACT:
        pos = lz_tables.read_compact(head, 1, ALPHABETS[mode], freq)
        freq = lz_tables.normalise_rows(freq, ALPHABETS[mode])
    else:
        pos = lz_tables.read_tables(head, 1, ALPHABETS[mode], freq)
    if pos < 0:
        raise FormatError("lz-rans chunk has a damaged table")
    reader = Reader(payload, "lz-rans chunk")
    reader.pos = pos
    end = reader.varint(limit=reader.remaining()) + reader.pos      # the extra bits: payload[reader.pos:end]
    if len(payload) - end < 8 or (len(payload) - end) % 2:
        raise FormatError("lz-rans stream has a bad length")
    bits = np.frombuffer(payload, dtype=np.uint8, count=end - reader.pos, offset=reader.pos)
    x0, x1 = (int(v) for v in np.frombuffer(payload, dtype="<u4", count=2, offset=end))
    words = np.frombuffer(payload, dtype="<u2", offset=end + 8).astype(np.uint16)   # aligned, native
    try:
        return lz_rans.decode(words, x0, x1, bits, freq, CONTEXTS[mode], size).tobytes()
    except CodingError as e:
        raise FormatError(str(e)) from None


def decode_memory(size: int, stored: int) -> int:
    """The most bytes :func:`decode` allocates: the output twice (array, bytes), copies of
    the payload's words and bits, and the tables."""
    return 2 * size + 2 * stored + TABLE_MEMORY


def _encode(data: bytes, model) -> bytes:
    return encode(data)


def _decode(payload: bytes, size: int, model) -> bytes:
    return decode(payload, size)


methods.register(methods.Method(methods.LZ_RANS, "lz-rans", _encode, _decode, min_bits=MIN_BITS,
                                memory=decode_memory))
