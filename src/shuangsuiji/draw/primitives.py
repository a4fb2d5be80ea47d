"""The notation of the specification (H, LP, u32, TXT, DOMAIN) and the tools to compute it fast."""

from __future__ import annotations

import gc
import hashlib
import importlib
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import repeat, starmap
from typing import Any

DOMAIN = b"SHUANGSUIJI-DRAW-v1"
SPEC = "SHUANGSUIJI-DRAW-v1"
#: v2 adds the withheld exclusions (withheld.txt); every hash keeps v1's DOMAIN, and the seed
#: still differs from any v1 draw's because params.json, whose hash enters it, names the spec.
SPEC_V2 = "SHUANGSUIJI-DRAW-v2"
SPECS = (SPEC, SPEC_V2)


def _short_message_sha256() -> Callable[..., Any]:
    """The SHA-256 constructor that is quickest when one block is left to hash.

    OpenSSL 3 spends longer copying and finishing a hash context than hashing one block of
    a ticket or a Merkle leaf, and a draw hashes a few million of them; CPython's own SHA-256
    has no such setup cost. With two blocks left OpenSSL's faster compression wins, so the
    Merkle nodes use it (merkle.py). Both compute the same function, and the public test
    vector checks it.
    """
    for name in ("_sha2", "_sha256"):  # CPython >= 3.12, then 3.11
        try:
            return importlib.import_module(name).sha256  # type: ignore[no-any-return]
        except (ImportError, AttributeError):
            continue
    return hashlib.sha256


sha256 = _short_message_sha256()

#: How many hash states ``digests`` keeps alive at once: enough that the Python loop around
#: each batch costs nothing, few enough that a million candidates never hold a million states.
BATCH = 4096

#: Run an iterator to its end for its side effects, in C (the ``itertools`` recipe).
consume = deque(maxlen=0).extend


def digests(prefix: Any, *parts: Sequence[bytes]) -> list[bytes]:
    """``H(P ‖ parts[0][i] ‖ parts[1][i] ‖ …)`` for every ``i``, where ``prefix`` is a hash
    object that has absorbed ``P`` (the parts are sequences of equal length).

    A draw hashes millions of short messages, and calling ``copy``, ``update`` and ``digest``
    from a Python loop costs more than the hashing itself. Here each step runs over a batch
    inside ``map``, so the interpreter only steps once per batch; the prefix state is copied,
    never rehashed.
    """
    kind = type(prefix)
    update, digest = kind.update, kind.digest
    copy = prefix.copy
    size = len(parts[0]) if parts else 0
    result: list[bytes] = []
    for start in range(0, size, BATCH):
        stop = min(start + BATCH, size)
        states = list(starmap(copy, repeat((), stop - start)))
        for part in parts:
            consume(map(update, states, part[start:stop]))
        result += map(digest, states)
    return result


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
