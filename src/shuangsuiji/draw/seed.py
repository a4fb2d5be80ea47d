"""The salt commitment, the entropy bytes ``B`` and the seed."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from .documents import EntropyValue
from .primitives import DOMAIN, LP, TXT, H


def salt_commit(salt: bytes) -> bytes:
    return H(DOMAIN + b"SALT" + salt)


def withheld_commit(salt: bytes, withheld_root: bytes) -> bytes:
    """v2: hides which candidates are withheld until the salt is revealed, and binds them
    (through params.json, whose hash enters the seed) before any entropy exists."""
    return H(DOMAIN + b"WITHHELD" + salt + withheld_root)


def entropy_bytes(values: Iterable[EntropyValue]) -> bytes:
    """``B``: every public value with the type and label it was announced under."""
    return b"".join(LP(TXT(v.type)) + LP(TXT(v.label)) + LP(TXT(v.value)) for v in values)


def derive_seed(
    salt: bytes,
    params_hash: bytes,
    pool_root: bytes,
    roster_root: bytes,
    conflicts_root: bytes,
    entropy: bytes,
) -> bytes:
    message = (
        DOMAIN
        + LP(params_hash)
        + LP(pool_root)
        + LP(roster_root)
        + LP(conflicts_root)
        + LP(entropy)
    )
    return hmac.new(salt, message, "sha256").digest()


def partner_seed(seed: bytes, code: str, roster_root: bytes) -> bytes:
    """部门联合: the seed of one partner department's matching. The draw's seed is the same with
    or without partners (their rosters are committed beside it), and each department's
    priorities are its own: bound to its committed roster and apart from the bureau's."""
    return H(DOMAIN + b"PART" + seed + LP(code.encode("ascii")) + LP(roster_root))
