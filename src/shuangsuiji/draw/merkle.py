"""RFC 6962 Merkle tree hash (MTH) of the lines of a bundle file."""

from __future__ import annotations

from collections.abc import Sequence

from .primitives import sha256


def mth(leaves: Sequence[bytes]) -> bytes:
    """Return ``MTH(leaves)``.

    RFC 6962 splits at the largest power of two below ``n``; hashing level by level and
    carrying an unpaired last node up unchanged builds exactly that tree, without
    recursion and in two passes over flat lists, which matters for a million lines.
    """
    if not leaves:
        return sha256(b"").digest()
    level = [sha256(b"\x00" + leaf).digest() for leaf in leaves]
    while len(level) > 1:
        odd = level[-1] if len(level) % 2 else None
        pairs = zip(level[0::2], level[1::2], strict=False)
        level = [sha256(b"\x01" + left + right).digest() for left, right in pairs]
        if odd is not None:
            level.append(odd)
    return level[0]
