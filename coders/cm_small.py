"""The ``cm`` model and coder in plain Python, for short chunks: the same stream as the numba
kernel of :mod:`pcz.coders.cm`, bit for bit, without importing numba.

Importing numba and loading a cached kernel costs about half a second per process, more
than coding a few KiB in Python takes (about 0.1 ms a byte), so chunks under
:data:`LIMIT` bytes are coded here, both ways, and a short file never loads numba.  The
arithmetic is the kernel's, step for step, on Python integers: every value the kernel
keeps fits its array's type for chunks this short (the mixer weights, int32, move by
less than 2**14 a decision), so nothing wraps in one that does not wrap in the other.
Tests compare the two on many inputs.

>>> blob = encode(b"abracadabra, abracadabra, abracadabra", 1)
>>> len(blob) < 37, decode(blob, 37, 1)
(True, b'abracadabra, abracadabra, abracadabra')
"""
from functools import lru_cache

from pcz.coders.cm_tables import (APM_ROWS, CONFIGS, M32, MATCH_MAX_BITS, MAX_TABLE_BITS, MIN_TABLE_BITS,
                                  N_MODELS, W_SETS, WORD, bits, tables)
from pcz.coders.errors import CodingError

LIMIT = 4096      # longest chunk coded here (int32 weights cannot wrap below 2**17 bytes)
TOP = 0xFF000000


def _hash(x, k):
    h = ((x & M32) * 0x9E3779B1 + k * 0x632BE5AB) & M32
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & M32
    return h ^ (h >> 13)


def _slot(t, h, mask, total):
    chk = h >> 24
    i = h & mask
    b0, b1, b2 = i << 4, (i ^ 1) << 4, (i ^ 2) << 4
    if t[b0] == chk:
        return b0
    if t[b1] == chk:
        return b1
    if t[b2] == chk:
        return b2
    p0, p1, p2 = total[t[b0 + 1]], total[t[b1 + 1]], total[t[b2 + 1]]
    b = b0 if p0 <= p1 and p0 <= p2 else (b1 if p1 <= p2 else b2)
    t[b:b + 16] = bytes(16)
    t[b] = chk
    return b


@lru_cache(maxsize=4)
def _lists(half: int) -> tuple:
    """The kernel's constant tables as Python lists (indexing a list is faster than an array)."""
    sq_a, st_a, nxt_a, total_a, p0_a, rate_a = tables(half)
    sq = sq_a.tolist()
    knots = [sq[min(2047, max(-2047, j * 128 - 2048)) + 2047] for j in range(33)]
    return (sq, st_a.tolist(), [tuple(r) for r in nxt_a.tolist()], total_a.tolist(), rate_a.tolist(),
            [p << 10 for p in p0_a.tolist()], knots)


def _code(buf: bytearray, n: int, stream: bytearray, encoding: bool, mode: int) -> int:
    """The kernel of :func:`pcz.coders.cm._code` (no probe: chunks here are short)."""
    cfg = CONFIGS[mode]
    orders = cfg["orders"]
    match_min, lr, boost, limit = cfg["match_min"], cfg["rate"], cfg["boost"], cfg["limit"]
    apm_rate, share = cfg["apm_rate"], cfg["apm_share"]
    sq, st, nxt, total, rate_t, sm0, knots = _lists(cfg["half"])
    K = N_MODELS
    NI = K + 2
    tsize = 1 << bits(n, cfg["extra"], MIN_TABLE_BITS, MAX_TABLE_BITS)
    T = [bytearray(tsize) for _ in range(K)]
    tmask = (tsize >> 4) - 1
    sm = sm0 * K + [(1 << 21) << 10] * 64
    W = [(1 << 16) * 3 // 10] * (W_SETS * NI)
    A = knots * APM_ROWS
    MT = [0] * (1 << bits(n, 1, 10, MATCH_MAX_BITS))
    mmask = len(MT) - 1
    direct = [orders[k] == 1 for k in range(K)]
    size = len(stream)
    x1, x2, pos, xv = 0, M32, 0, 0
    if not encoding:
        for i in range(4):
            xv = (xv << 8) | (stream[i] if i < size else 0)
        pos = 4
    base = [0] * K
    hk = [0] * K
    sk = [0] * K
    x = [0] * NI
    c4 = c8 = wh = 0
    mlen = mptr = mi = 0
    for i in range(n):
        c1 = c4 & 255
        for k in range(K):
            o = orders[k]
            if o == WORD:
                hk[k] = _hash(wh if wh else (c4 >> 8) & 0xFFFF, 0x5E3 + (wh == 0))
            elif o <= 4:
                hk[k] = _hash(c4 & ((1 << (8 * o)) - 1), o)
            else:
                hk[k] = _hash(c4 ^ _hash(c8 & ((1 << (8 * (o - 4))) - 1), o), o)
        mbyte = (buf[mptr] | 256) if mlen > 0 else 0
        mb = 0 if mlen == 0 else (mlen if mlen < 16 else (16 + (mlen - 16) // 4 if mlen < 64 else 28))
        c0, j = 1, 1
        byte = buf[i] if encoding else 0
        rate = lr + (boost << 16) // (i + 4096)
        for bit in range(8):
            if bit == 0 or bit == 4:
                if bit == 4:
                    for k in range(K):
                        hk[k] = _hash(hk[k] + c0 * 0x3C6EF372, 77)
                for k in range(K):
                    if direct[k]:
                        base[k] = (c1 * 17 + (0 if bit == 0 else c0 - 15)) << 4
                    else:
                        base[k] = _slot(T[k], hk[k], tmask, total)
                j = 1
            conf = 0
            for k in range(K):
                v = T[k][base[k] + j]
                q = (k << 8) | v
                sk[k] = q
                conf += v != 0
                x[k] = st[sm[q] >> 20]
            expect = -1
            if mbyte and (mbyte >> (8 - bit)) == c0:
                expect = (mbyte >> (7 - bit)) & 1
                mi = (K << 8) + mb * 2 + expect
                x[K] = st[sm[mi] >> 20]
            else:
                x[K] = 0
            x[K + 1] = 256
            mstate = 0 if expect < 0 else (1 if mlen < 16 else (2 if mlen < 32 else 3))
            w1 = ((((conf + (K + 1) * mstate) << 3) + bit) * 4 + (c1 >> 6)) * NI
            d1 = 0
            for m in range(NI):
                d1 += x[m] * W[w1 + m]
            d1 = min(2047, max(-2047, d1 >> 16))
            pm = sq[d1 + 2047]
            r2 = c0 | ((c1 >> 5) << 8)
            s = d1 + 2048
            ja, wt = s >> 7, s & 127
            ra = r2 * 33 + ja
            p = ((4 - share) * pm + share * ((A[ra] * (128 - wt) + A[ra + 1] * wt) >> 7)) >> 2
            p = min(65535, max(1, p))
            # the binary coder (pcz.coders.binary_coder)
            r = x2 - x1
            xmid = x1 + (r >> 16) * p + (((r & 0xFFFF) * p) >> 16)
            if encoding:
                y = (byte >> (7 - bit)) & 1
            else:
                y = 1 if xv <= xmid else 0
            if y:
                x2 = xmid
            else:
                x1 = xmid + 1
            while ((x1 ^ x2) & TOP) == 0:
                if encoding:
                    if pos < size:
                        stream[pos] = x2 >> 24
                else:
                    xv = ((xv << 8) & M32) | (stream[pos] if pos < size else 0)
                pos += 1
                x1 = (x1 << 8) & M32
                x2 = ((x2 << 8) & M32) | 255
            # learn
            e1 = ((y << 12) - (pm >> 4)) * rate
            for m in range(NI):
                W[w1 + m] += (x[m] * e1) >> 16
            ka = ra + (wt >> 6)
            A[ka] += ((y << 16) - A[ka]) >> apm_rate
            for k in range(K):
                q = sk[k]
                sv = sm[q]
                cnt = sv & 1023
                pp = sv >> 10
                pp += (((y << 22) - pp) * rate_t[cnt]) >> 16
                sm[q] = (pp << 10) | (cnt + (cnt < limit))
                T[k][base[k] + j] = nxt[q & 255][y]
            if expect >= 0:
                sv = sm[mi]
                cnt = sv & 1023
                pp = sv >> 10
                pp += (((y << 22) - pp) * rate_t[cnt]) >> 16
                sm[mi] = (pp << 10) | (cnt + (cnt < limit))
                if expect != y:
                    mlen = 0
            c0 = (c0 << 1) | y
            j = (j << 1) | y
            if j >= 16:
                j = 1
        c = c0 & 255
        if not encoding:
            buf[i] = c
        c8 = ((c8 << 8) | (c4 >> 24)) & M32
        c4 = ((c4 << 8) | c) & M32
        lc = c | 32
        if 97 <= lc <= 122:
            wh = ((wh + lc + 1) * 0x3D4D51CB) & M32
        else:
            wh = 0
        if mlen > 0:
            mlen = mlen + 1 if mlen < 65535 else mlen
            mptr += 1
        if i + 1 >= match_min:
            hm = _hash(c4 ^ _hash(c8 & ((1 << (8 * max(0, match_min - 4))) - 1), 9), 11) & mmask
            if mlen == 0:
                cand = MT[hm]
                if cand > 0:
                    L = 0
                    while L < 32 and cand - 1 - L >= 0 and buf[cand - 1 - L] == buf[i - L]:
                        L += 1
                    if L >= match_min:
                        mlen, mptr = L, cand
            MT[hm] = i + 1
    if encoding:
        for i in range(4):
            if pos + i < size:
                stream[pos + i] = (x1 >> (24 - 8 * i)) & 255
        return pos + 4
    return pos


def encode(data: bytes, mode: int) -> bytes | None:
    """Code ``data`` (at most :data:`LIMIT` bytes) as :func:`pcz.coders.cm.encode` does; None
    when the stream is not shorter than the data.

    >>> len(encode(b"ab" * 100, 1)) < 20
    True
    """
    n = len(data)
    if n > LIMIT:
        raise ValueError(f"cm_small codes at most {LIMIT} bytes, not {n}")
    out = bytearray(n + 8)
    m = _code(bytearray(data), n, out, True, mode)
    return None if m >= n + 8 else bytes(out[:m])


def decode(stream: bytes, n: int, mode: int) -> bytes:
    """Decode n bytes (at most :data:`LIMIT`) as :func:`pcz.coders.cm.decode` does; CodingError
    when the stream does not end exactly where the coder's does.

    >>> decode(encode(b"ab" * 100, 1), 200, 1) == b"ab" * 100
    True
    >>> decode(b"\\x00", 200, 1)
    Traceback (most recent call last):
    ...
    pcz.coders.errors.CodingError: cm stream does not end where the coder does (damaged data)
    """
    if mode not in CONFIGS:
        raise CodingError(f"unknown cm mode {mode}")
    if n > LIMIT:
        raise ValueError(f"cm_small codes at most {LIMIT} bytes, not {n}")
    out = bytearray(n)
    if _code(out, n, bytes(stream), False, mode) != len(stream):
        raise CodingError("cm stream does not end where the coder does (damaged data)")
    return bytes(out)
