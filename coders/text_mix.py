"""Fused numba kernel: a sum node over the HMM and adaptive context models, driving the binary coder.

Each byte is coded as 8 binary decisions down the bit tree over byte values (as in
:mod:`pcz.coders.hmm_chain`).  At every decision, J component models each give
P(bit = 1 | past):

- the HMM (input 0): ``down . S[2n+1] / mass`` from the chain recursion, its
  emissions adapting at ``rate`` (0 for none); ``T`` may be float32 (half the
  memory traffic; products are taken in float64);
- order-k context models, one per entry of ``orders`` (k previous bytes; the
  pseudo-order ``WORD`` is the current word, letters case-folded): a hash table of
  small count states ``(n0, n1)`` per (context, tree node), each state mapped to an
  adaptive probability;
- a match model (last input): the byte that followed the most recent
  occurrence of the last ``MATCH_MIN`` bytes, while it keeps matching; its bit
  and the match length map to an adaptive probability.

They are combined by **sum nodes**: ``P(bit) = sum_m v_m sum_j w_mj(ctx) p_j`` with
non-negative weights summing to 1, so every decision is a normalised Bernoulli and
the product over the 8 decisions a normalised distribution over bytes.  Three
mixtures with differently selected weight rows (by the confidence of the context
models, by the previous byte, by the match state; each also by tree level) feed a
final mixture whose row is chosen by the confidence context.  A weight row is
scaled per input by a gate ``A[j, state_j]`` (how much input j is trusted in its
present state) and renormalised.  All weights learn while coding by stepwise
(online) EM: ``w_j <- (1 - eta) w_j + eta * w_j p_j(bit) / p(bit)``, with
``w_j p_j(bit) / p(bit)`` the posterior responsibility of component j (the gates
take the same step against the final mixture), which needs products and
divisions only.

Mode 1 then refines the final probability with two **adaptive probability maps**
(APMs, as in lpaq): piecewise-linear maps of p over 33 knots in the stretch
domain ln(p / (1 - p)), one row per tree node (order 0) and one per (previous
byte, tree node) (order 1); the coded probability is ``0.1 p + 0.25 apm0(p) +
0.65 apm1(p)``, and the nearer knot of each map moves towards the bit by
1 / count.  The stretch is an integer table (:func:`stretch_table`), so the map
is looked up the same way on every machine.  Mode 0 (no maps) stays decodable.

Determinism: float64, fastmath off, fixed loop order, no exp/log; hashes and count
states are integers; probabilities are quantised to 16 bits before the coder.
Memory is bounded: ``len(orders)`` tables of ``2**table_bits`` bytes, a match table
of ``2**MATCH_BITS`` positions, small mixer arrays, and in mode 1 the maps (19 MB);
all start empty per call (per chunk).

>>> import numpy as np
>>> from pcz.methods.text import default_model
>>> m = default_model()
>>> src = np.array(list(b"abracadabra, abracadabra"), dtype=np.uint8)
>>> out = np.zeros(64, dtype=np.uint8)
>>> n = encode_stream(src, *m.mix_args(), out, *config_args(0))
>>> back = np.zeros(len(src), dtype=np.uint8)
>>> decode_stream(out[:n].copy(), *m.mix_args(), back, *config_args(0))
>>> back.tobytes()
b'abracadabra, abracadabra'
"""
import numpy as np

from pcz.coders.jit import numba
from pcz.coders.binary_coder import dec_bit, dec_init, enc_bit, enc_flush, quantise
from pcz.coders.hmm_chain import _after_byte, _dot, _slot_masses, _start, _weights

M32 = 0xFFFFFFFF
WORD = 100            # pseudo-order: hash of the current word
MATCH_MIN = 5         # bytes a match must share before it predicts
MATCH_BITS = 20       # the match table holds 2**20 positions
MAX_TABLE_BITS = 23   # per context model: 2**23 bytes (8 MiB)
COUNT_CAP = 15        # count states are (n0, n1), each 0..15
MAP_LIMIT = 255.0     # adaptive probabilities average over at most ~256 recent uses
N_SETS = 256 + 2048 + 256   # weight rows: confidence x level, previous byte x level, match x level
APM_START_COUNT = 8


def count_states(half: int = 2, prior: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """(next state table (256, 2), initial probability of a 1 per state) for count
    states ``16 n0 + n1``: a bit increments its count (capped) and, when the other
    count exceeds ``half``, roughly halves it (recent bits weigh more).

    >>> nxt, p0 = count_states()
    >>> int(nxt[0, 1]), int(nxt[16 * 5, 1]), float(p0[0])
    (1, 49, 0.5)
    """
    nxt = np.zeros((256, 2), dtype=np.int64)
    p0 = np.zeros(256)
    for n0 in range(16):
        for n1 in range(16):
            s = 16 * n0 + n1
            p0[s] = (n1 + prior) / (n0 + n1 + 2 * prior)
            for b in (0, 1):
                c = [n0, n1]
                c[b] = min(c[b] + 1, COUNT_CAP)
                if c[1 - b] > half:
                    c[1 - b] = (c[1 - b] + 1) // 2
                nxt[s, b] = 16 * c[0] + c[1]
    return nxt, p0


def stretch_table() -> np.ndarray:
    """``stretch(p) = ln(p / (1 - p))`` for 12-bit probabilities p = i / 4096, in
    units of 1/256, from integers only (the inverse of paq's interpolated squash
    table), so that it is the same on every machine.

    >>> st = stretch_table()
    >>> int(st[1]), int(st[2047]), int(st[4095]), bool((np.diff(st) >= 0).all())
    (-2047, 0, 2047, True)
    """
    knots = (1, 2, 3, 6, 10, 16, 27, 45, 73, 120, 194, 310, 488, 747, 1101, 1546, 2047, 2549, 2994,
             3348, 3607, 3785, 3901, 3975, 4022, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094)

    def squash(d):
        w, i = d & 127, (d >> 7) + 16
        return (knots[i] * (128 - w) + knots[i + 1] * w + 64) >> 7

    table = np.full(4096, 2047, dtype=np.int64)
    lo = 0
    for d in range(-2047, 2048):
        v = squash(d)
        table[lo:v + 1] = d
        lo = max(lo, v + 1)
    return table


def apm_start(st: np.ndarray) -> np.ndarray:
    """The 33 knots of an identity APM row for the stretch table ``st``: p at stretch =
    -2048, -1920, ..., 2048 (the largest 12-bit p whose stretch lies at or below the knot).

    >>> row = apm_start(stretch_table())
    >>> round(float(row[16]), 3), bool((np.diff(row) > 0).all())
    (0.5, True)
    """
    return np.array([(np.searchsorted(st, j * 128 - 2048, side="right") - 0.5) / 4096.0 if j else 0.5 / 4096
                     for j in range(33)])


# Configurations by mode byte (part of the format: never change one, add a new mode).
# (context orders, HMM adaptation rate, eta of the mixtures, eta of the gates, eta of the final
# mixture, APMs: (count limit, share of the order-0 APM, share of the order-1 APM; shares 0: none))
# At most 7 context models, so that the confidence context (0..7) indexes 256 rows.
CONFIGS = {0: ((2, 3, 4, 5, 7, WORD), 1.0 / 16, 0.02, 0.01, 0.03, (0.0, 0.0, 0.0)),
           1: ((2, 3, 4, 5, 7, WORD), 1.0 / 16, 0.02, 0.01, 0.03, (255.0, 0.25, 0.65))}
assert all(len(c[0]) <= 7 for c in CONFIGS.values())
_NXT, _P0 = count_states()
_STRETCH = stretch_table()
_APM_START = apm_start(_STRETCH)


def config_args(mode: int, size: int = 1 << 20) -> tuple:
    """Kernel arguments after the model's for a mode and a chunk of ``size`` bytes
    (the table size grows with the chunk, up to 2**23 entries per context model)."""
    orders, rate, eta, eta_gate, eta_top, apm = CONFIGS[mode]
    bits = min(MAX_TABLE_BITS, max(12, (8 * max(size, 1)).bit_length() + 1))
    return (rate, np.array(orders, dtype=np.int64), bits, _NXT, _P0, eta, eta_gate, eta_top,
            np.array(apm, dtype=np.float64), _STRETCH, _APM_START)


def kernel_memory(size: int) -> int:
    """The most bytes :func:`encode_stream` / :func:`decode_stream` allocate for a chunk of
    ``size`` bytes, in any mode (the context tables, the match table, the mixer weights and
    the maps; the model's arrays and the chunk's own buffers are not included).

    >>> kernel_memory(1 << 20) >> 20, kernel_memory(1000) >> 20
    (70, 22)
    """
    most = 0
    for mode, (orders, *_rest, apm) in CONFIGS.items():
        tbits = config_args(mode, size)[2]
        J = len(orders) + 2
        rows = 65536 if apm[1] + apm[2] > 0 else 1
        most = max(most, len(orders) * ((1 << tbits) + 2 * 256 * 8) + 4 * (1 << MATCH_BITS)
                   + 8 * (N_SETS * J + 3 * 256 + J * 256) + 256 * 33 * 9 + rows * (33 * 9 + 1))
    return most


@numba.njit(cache=True, nogil=True, inline="always")
def _apm(table, row, p, stretch):
    """An adaptive probability map: p refined by interpolating row ``row`` of table
    (33 knots over stretch(p)); returns (refined p, index of the nearer knot)."""
    q = np.int64(p * 4096.0) if p > 0.0 else np.int64(1)      # (NaN, were it ever: the lowest bucket)
    q = min(max(q, 1), 4095)
    s = stretch[q] + 2048              # 1 .. 4095
    j = s >> 7
    w = (s & 127) / 128.0
    base = row * 33 + j
    return table[base] * (1.0 - w) + table[base + 1] * w, base + (1 if w >= 0.5 else 0)


@numba.njit(cache=True, nogil=True, inline="always")
def _mix_hash(h, v):
    h = ((h * 0x2F0B3C5D) + v + 1) & M32
    return h ^ (h >> 13)


@numba.njit(cache=True, nogil=True)
def _context_hash(buf, t, k, word):
    """Hash of the context of byte t: its k previous bytes, or the current word."""
    h = np.int64(k * 0x3C6EF372 + 0x1234567) & M32
    if k == WORD:
        return _mix_hash(_mix_hash(h, word), np.int64(buf[t - 1]) if t > 0 else np.int64(256))
    for j in range(1, k + 1):
        h = _mix_hash(h, np.int64(buf[t - j]) if t - j >= 0 else np.int64(256))
    return h


@numba.njit(cache=True, nogil=True, inline="always")
def _bucket(h, nibble, mask):
    """First index of the 16-byte bucket of a context and nibble prefix: byte 0 holds a
    check value, bytes 1..15 the count states of the nibble's 15 tree nodes."""
    v = ((h + nibble * 0x6F4F2A35) & M32) * 0x2C1B3C6D & M32
    v ^= v >> 15
    return (v << 4) & mask, (v >> 24) | 1


@numba.njit(cache=True, nogil=True)
def _code(buf, n, stream, encoding, prior, T, S, cls, rate, orders, tbits, nxt, p0, eta, eta_gate, eta_top,
          apm, stretch, apm_start):
    """Encode buf[:n] into stream (returns the stream length) or decode n bytes from
    stream into buf (returns 0): one loop so that both sides compute the same numbers."""
    Sa, ready, down, alpha, w = _start(prior, S, rate)
    nord = orders.shape[0]
    J = nord + 2
    mask = (1 << tbits) - 1
    tables = np.zeros((nord, 1 << tbits), dtype=np.uint8)
    smap = np.empty((nord, 256))
    for i in range(nord):
        smap[i, :] = p0
    scnt = np.zeros((nord, 256))
    mtab = np.zeros(1 << MATCH_BITS, dtype=np.int32)
    mmap = np.full(32, 0.5)
    for i in range(1, 16):
        mmap[2 * i] = 1.0 / (i + 2)
        mmap[2 * i + 1] = 1.0 - 1.0 / (i + 2)
    mcnt = np.zeros(32)
    W = np.empty((N_SETS, J))
    for s in range(N_SETS):
        W[s, 0] = 0.3
        for j in range(1, J):
            W[s, j] = 0.7 / (J - 1)
    V = np.full((256, 3), 1.0 / 3)
    A = np.ones((J, 256))
    hs = np.zeros(nord, dtype=np.int64)
    base = np.zeros(nord, dtype=np.int64)
    idx = np.zeros(nord, dtype=np.int64)
    st = np.zeros(J, dtype=np.int64)
    pj = np.zeros(J)
    g = np.zeros(J)
    sel = np.zeros(3, dtype=np.int64)
    pmix = np.zeros(3)
    use_apm = apm[1] + apm[2] > 0.0
    apm_limit = np.int64(min(apm[0], 255.0))
    rows = 65536 if use_apm else 1
    apm0 = np.empty(256 * 33)
    # an APM knot moves by 1 / count, count + 1 up to a limit (whole numbers <= 255: uint8)
    acnt0 = np.full(256 * 33, APM_START_COUNT, dtype=np.uint8)
    for r in range(256):            # every row starts as the identity map
        apm0[r * 33:r * 33 + 33] = apm_start
    # the order-1 map's 65536 rows (17 MiB) are set up on first use: short inputs touch few
    apm1 = np.empty(rows * 33)
    acnt1 = np.empty(rows * 33, dtype=np.uint8)
    ready1 = np.zeros(rows, dtype=np.uint8)
    coder = np.zeros(4, dtype=np.int64)
    if encoding:
        coder[1] = M32
    else:
        dec_init(coder, stream)
    slot = 0
    word = 0
    mlen = 0
    mptr = 0
    local = 1
    for t in range(n):
        x = np.int64(buf[t]) if encoding else 0
        for i in range(nord):
            hs[i] = _context_hash(buf, t, orders[i], word)
        mbyte = np.int64(buf[mptr]) + 256 if mlen > 0 else -1
        St = _slot_masses(Sa, S, ready, slot)
        node = 1
        mass = _weights(down, St[1], w)
        for level in range(8):
            if level == 0 or level == 4:
                local = 1
                for i in range(nord):
                    b, check = _bucket(hs[i], node, mask)
                    if tables[i, b] != check:
                        tables[i, b:b + 16] = 0
                        tables[i, b] = check
                    base[i] = b
            m1 = _dot(w, St[2 * node + 1])
            pj[0] = m1 / mass
            st[0] = min(np.int64(abs(pj[0] - 0.5) * 32.0), 15)
            conf = 0
            for i in range(nord):
                idx[i] = base[i] + local
                s = np.int64(tables[i, idx[i]])
                st[1 + i] = s
                if s != 0 and orders[i] != WORD:
                    conf = i + 1
                pj[1 + i] = smap[i, s]
            ms = 0
            if (mbyte >> (8 - level)) == node:
                ms = 2 * min(mlen, 15) + ((mbyte >> (7 - level)) & 1)
            st[J - 1] = ms
            pj[J - 1] = mmap[ms]
            det = 0
            if conf > 0:
                n0 = st[conf] >> 4
                n1 = st[conf] & 15
                if n0 == 0 or n1 == 0:
                    det = 1 + (1 if n0 + n1 >= 3 else 0)
            sel[0] = (conf * 4 + det) * 8 + level
            sel[1] = 256 + ((np.int64(buf[t - 1]) if t > 0 else 0) << 3 | level)
            sel[2] = 256 + 2048 + ms * 8 + level
            for j in range(J):
                g[j] = A[j, st[j]]
            top = V[sel[0]]
            p = 0.0
            for k in range(3):
                wr = W[sel[k]]
                z = 0.0
                pm = 0.0
                for j in range(J):
                    e = wr[j] * g[j]
                    z += e
                    pm += e * pj[j]
                pmix[k] = pm / z
                p += top[k] * pmix[k]
            pa = p
            if use_apm:
                r0, i0 = _apm(apm0, node, p, stretch)
                c1 = (np.int64(buf[t - 1]) if t > 0 else 0) << 8 | node
                if not ready1[c1]:
                    apm1[c1 * 33:c1 * 33 + 33] = apm_start
                    acnt1[c1 * 33:c1 * 33 + 33] = APM_START_COUNT
                    ready1[c1] = 1
                r1, i1 = _apm(apm1, c1, p, stretch)
                pa = (1.0 - apm[1] - apm[2]) * p + apm[1] * r0 + apm[2] * r1
            p1 = quantise(pa)
            if encoding:
                bit = (x >> (7 - level)) & 1
                enc_bit(coder, stream, bit, p1)
            else:
                bit = dec_bit(coder, stream, p1)
            # learning: stepwise EM on every sum node's weights, then the inputs' statistics
            if use_apm:
                apm0[i0] += (bit - apm0[i0]) / acnt0[i0]
                apm1[i1] += (bit - apm1[i1]) / acnt1[i1]
                acnt0[i0] = min(acnt0[i0] + 1, apm_limit)
                acnt1[i1] = min(acnt1[i1] + 1, apm_limit)
            pt = p if bit else 1.0 - p
            for k in range(3):
                wr = W[sel[k]]
                pm = pmix[k] if bit else 1.0 - pmix[k]
                top[k] *= (1.0 - eta_top) + eta_top * pm / pt
                z = 0.0
                for j in range(J):
                    f = (pj[j] if bit else 1.0 - pj[j]) / pm
                    wr[j] *= (1.0 - eta) + eta * f
                    z += wr[j]
                    if k == 0:
                        f = (pj[j] if bit else 1.0 - pj[j]) / pt
                        a = A[j, st[j]] * ((1.0 - eta_gate) + eta_gate * f)
                        A[j, st[j]] = min(max(a, 1e-4), 1e4)
                for j in range(J):
                    wr[j] /= z
            for i in range(nord):
                s = st[1 + i]
                c = scnt[i, s]
                smap[i, s] += (bit - smap[i, s]) / (c + 1.5)
                scnt[i, s] = min(c + 1.0, MAP_LIMIT)
                tables[i, idx[i]] = nxt[s, bit]
            c = mcnt[ms]
            mmap[ms] += (bit - mmap[ms]) / (c + 1.5)
            mcnt[ms] = min(c + 1.0, MAP_LIMIT)
            node = 2 * node + bit
            local = 2 * local + bit
            mass = m1 if bit else mass - m1
        x = node - 256
        if not encoding:
            buf[t] = x
        slot = _after_byte(x, St, node, T, cls, rate, down, alpha, w)
        # the current word (letters, case-folded; bytes >= 128 count as letters)
        cx = x | 32 if 65 <= x <= 90 else x
        if 97 <= cx <= 122 or x >= 128:
            word = ((word + cx + 1) * 0x3C6EF35F) & M32
        else:
            word = 0
        # the match model: follow the current match, or look one up by the last MATCH_MIN bytes
        if mlen > 0 and np.int64(buf[mptr]) == x:
            mlen += 1
            mptr += 1
        else:
            mlen = 0
        if t + 1 >= MATCH_MIN:
            hm = _context_hash(buf, t + 1, MATCH_MIN, 0) & ((1 << MATCH_BITS) - 1)
            if mlen == 0 and mtab[hm] > 0:
                mptr = np.int64(mtab[hm])
                while mlen < 32 and mptr - 1 - mlen >= 0 and buf[mptr - 1 - mlen] == buf[t - mlen]:
                    mlen += 1
            mtab[hm] = t + 1
        if encoding and coder[2] > stream.shape[0]:
            return coder[2]
    return enc_flush(coder, stream) if encoding else 0


def encode_stream(data, prior, T, S, cls, out, *config):
    """Code every byte of data into out; returns the stream length (> len(out): it did not fit).
    Pass writable uint8 arrays (as the decoder does), so that both share one compiled kernel."""
    return _code(data, data.shape[0], out, True, prior, T, S, cls, *config)


def decode_stream(payload, prior, T, S, cls, out, *config):
    """Decode len(out) bytes coded by :func:`encode_stream` with the same config."""
    _code(out, out.shape[0], payload, False, prior, T, S, cls, *config)
