"""The notation of the specification (H, LP, u32, TXT, DOMAIN) and the tools to compute it fast."""

from __future__ import annotations

import gc
import hashlib
import importlib
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

DOMAIN = b"SHUANGSUIJI-DRAW-v1"
SPEC = "SHUANGSUIJI-DRAW-v1"
#: v2 adds the withheld exclusions (withheld.txt); every hash keeps v1's DOMAIN, and the seed
#: still differs from any v1 draw's because params.json, whose hash enters it, names the spec.
SPEC_V2 = "SHUANGSUIJI-DRAW-v2"
SPECS = (SPEC, SPEC_V2)


def _short_message_sha256() -> Callable[..., Any]:
    """The SHA-256 constructor that is quickest on messages of about 100 bytes.

    OpenSSL 3 spends longer setting up a hash context than hashing such a message, and a
    draw hashes a few million of them; CPython's own SHA-256 has no such setup cost. Both
    compute the same function, and the public test vector checks it.
    """
    for name in ("_sha2", "_sha256"):  # CPython >= 3.12, then 3.11
        try:
            return importlib.import_module(name).sha256  # type: ignore[no-any-return]
        except (ImportError, AttributeError):
            continue
    return hashlib.sha256


sha256 = _short_message_sha256()


def H(data: bytes) -> bytes:
    return sha256(data).digest()


def u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def LP(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def TXT(text: str) -> bytes:
    return unicodedata.normalize("NFC", text.strip()).encode("utf-8")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around bulk work.

    A draw allocates millions of objects and none of them forms a cycle, so each automatic
    collection would only rescan them all: with it on, parsing a large pool takes several
    times longer.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
