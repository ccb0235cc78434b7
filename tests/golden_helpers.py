"""Golden fixtures of compressed streams: a JSON object of case name -> hex bytes.

``PCZ_REGEN_GOLDEN=1`` rewrites a fixture from its cases (only where the test passes
``cases``; decode-only fixtures are never regenerated).
"""
import json
import os

import pcz


def load_streams(path: str, cases: dict | None = None) -> dict[str, bytes]:
    """The fixture at ``path``; with ``cases`` (name -> (data, compress options)) and
    PCZ_REGEN_GOLDEN set, first rewritten from them."""
    if cases is not None and os.environ.get("PCZ_REGEN_GOLDEN"):
        with open(path, "w") as f:
            json.dump({k: pcz.compress(d, **kw).hex() for k, (d, kw) in cases.items()}, f, indent=1)
    with open(path) as f:
        return {k: bytes.fromhex(v) for k, v in json.load(f).items()}


def load_fixture(path: str, produce) -> dict:
    """The JSON fixture at ``path``; with PCZ_REGEN_GOLDEN set, first rewritten from
    ``produce()`` (a JSON-ready dict)."""
    if os.environ.get("PCZ_REGEN_GOLDEN"):
        with open(path, "w") as f:
            json.dump(produce(), f, indent=1)
    with open(path) as f:
        return json.load(f)
