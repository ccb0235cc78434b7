import json

import numpy as np
import pytest

from pcz import tokens as tok
from pcz.errors import FormatError, ModelError
from pcz.methods.text import default_model_bytes
from pcz.models.hmm import HMM

TEXT = "It is a truth universally acknowledged, that a single man\n".encode() * 5


@pytest.mark.parametrize("W, bits", [(16, 8), (16, 16), (32, 16), (64, 8), (128, 16)])
def test_round_trip(W, bits):
    model = default_model_bytes()
    tokens, meta = tok.tokenize(TEXT, model, W, bits)
    assert tokens.dtype == (np.uint8 if bits == 8 else np.uint16)
    assert len(tokens) == meta["windows"] * W // bits
    assert tok.detokenize(tokens, meta, None) == TEXT
    assert tok.detokenize(tokens, meta, model) == TEXT


def test_blocks_end_windows_without_changing_content(monkeypatch):
    monkeypatch.setattr(tok, "BLOCK", 50)
    tokens, meta = tok.tokenize(TEXT, default_model_bytes(), 32, 16)
    assert tok.detokenize(tokens, meta, None) == TEXT


def test_wrong_model_and_bad_metadata():
    tokens, meta = tok.tokenize(TEXT, default_model_bytes(), 32, 16)
    with pytest.raises(ModelError, match="wrong model"):
        tok.detokenize(tokens, meta, HMM.from_probs(np.ones(2), np.ones((2, 2)), np.ones((2, 256))).to_bytes())
    with pytest.raises(ModelError, match="pass it with --model"):
        tok.detokenize(tokens, dict(meta, model_id="00" * 32), None)
    for bad in (dict(meta, format="x"), dict(meta, token_bits=12), dict(meta, window_bits=24, token_bits=16),
                dict(meta, size=-1), dict(meta, size=1 << 45), {k: v for k, v in meta.items() if k != "size"}):
        with pytest.raises(FormatError):
            tok.detokenize(tokens, bad, None)
    with pytest.raises(FormatError):
        tok.detokenize(tokens[:-2], meta, None)
    with pytest.raises(FormatError):
        tok.detokenize(tokens.astype(np.int64), meta, None)
    with pytest.raises(FormatError):
        tok.detokenize(tokens, dict(meta, size=meta["size"] - 1), None)
    flipped = tokens.copy()
    flipped[3] ^= 1
    with pytest.raises(FormatError):
        tok.detokenize(flipped, meta, None)


def test_save_load(tmp_path):
    path = str(tmp_path / "t.npy")
    tokens, meta = tok.tokenize(TEXT, default_model_bytes(), 64, 16)
    tok.save(path, tokens, meta)
    back, meta2 = tok.load(path)
    assert meta2 == meta and np.array_equal(back, tokens)
    (tmp_path / "t.npy.json").write_text("[1, 2")
    with pytest.raises(FormatError):
        tok.load(path)
    (tmp_path / "t.npy.json").write_text(json.dumps([1]))
    with pytest.raises(FormatError):
        tok.load(path)
