"""Method 12 ``long``: the payload (inner method, match list, literals), the literals coded by
the best inner candidate, and damaged payloads refused before the literals are decoded."""
import numpy as np
import pytest

from pcz import methods
from pcz.errors import FormatError
from pcz.methods import long

TEXT = b"It was the best of times, it was the worst of times. " * 200


def test_the_literals_are_coded_by_the_best_inner_candidate_and_decode_back():
    rows = np.array([[100, 5000, 3000], [2000, 70, 500]], dtype=np.int64)
    payload = long.encode(TEXT, None, rows, (methods.ORDER0, methods.CM))
    assert payload[0] == methods.CM
    parts = long.decode_parts(payload, len(TEXT), None, crc=7)
    assert parts.matches.tolist() == rows.tolist() and parts.crc == 7
    assert parts.literals == TEXT[:100] + TEXT[3100:5100] + TEXT[5600:]


def test_matches_covering_the_chunk_leave_no_inner_payload():
    payload = long.encode(TEXT, None, np.array([[0, 1 << 20, len(TEXT)]], dtype=np.int64), (methods.CM,))
    assert payload[0] == methods.RAW and len(payload) < 10
    assert long.decode_parts(payload, len(TEXT), None).literals == b""


def test_a_known_payload_is_never_used_for_the_literals():
    from pcz.methods.choose import _known, fresh
    known = _known(methods.ORDER0, b"not for these bytes")
    assert fresh((known, methods.CM)) == (methods.get(methods.ORDER0), methods.CM)


@pytest.mark.parametrize("payload, message", [
    (bytes([methods.HCLT, 0]), "cannot code its literals"),
    (bytes([methods.LONG, 0]), "cannot code its literals"),
    (bytes([0, 2, 0, 0, 0]), "longer than its chunk"),
    (bytes([0, 1, 0, 0x80, 0x80]), "cut short"),
    (bytes([0, 1, 0, 0, 9]), "literals do not match"),       # 10 copied, no literals, 90 stated
    (bytes([0, 1, 0, 0, 99, 1, 2]), "literals do not match"),   # all copied, yet a payload
    (bytes([1, 1, 0, 0, 9]) + b"x", "truncated"),               # order0 literals of 90 bytes in 1
])
def test_damaged_payloads_are_refused_in_one_line(payload, message):
    with pytest.raises(FormatError, match=message) as info:
        long.decode_parts(payload, 100, None)
    assert "\n" not in str(info.value)


def test_decoding_alone_is_refused_and_memory_covers_every_inner_method():
    with pytest.raises(FormatError, match="after the content before it"):
        methods.get(methods.LONG).decode(b"\0\0", 10, None)
    size, stored = 1 << 20, 5000
    assert long.memory(size, stored) >= max(methods.get(i).memory(size, stored) for i in long.INNER) + 2 * size
