"""RFC 6962 Merkle tree hash (MTH) of the lines of a bundle file."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from .primitives import digests, sha256

# A leaf is hashed as 0x00 ‖ line (one block for a pool line) and a node as 0x01 ‖ left ‖ right
# (65 bytes, two blocks). OpenSSL's SHA-256 costs more to set up but compresses a block
# faster than CPython's own (several times, with SHA instructions), so nodes go to OpenSSL.
_LEAF = sha256(b"\x00")
_NODE = hashlib.sha256(b"\x01")
#: Leaves are hashed in runs of 2**RUN_HEIGHT: long enough that the loop around a run costs
#: nothing, short enough that a run's hashes stay in the processor's cache.
RUN_HEIGHT = 12


def mth(leaves: Sequence[bytes]) -> bytes:
    """Return ``MTH(leaves)``.

    RFC 6962 splits at the largest power of two below ``n``; hashing level by level and
    carrying an unpaired last node up unchanged builds exactly that tree, without
    recursion and in two passes over flat lists, which matters for a million lines.
    """
    return root(subtree_roots(leaves, 0, len(leaves), RUN_HEIGHT))


def subtree_roots(leaves: Sequence[bytes], start: int, stop: int, height: int) -> list[bytes]:
    """The roots of the runs of ``2**height`` leaves from ``start`` to ``stop``.

    ``start`` must be a multiple of ``2**height``, and so must ``stop`` unless it is the end
    of ``leaves`` (the last run is then shorter). Every such run is a subtree of the RFC 6962
    tree, so ``root`` of the roots of consecutive ranges is ``MTH(leaves)``: one process may
    hash one range while another hashes the next.
    """
    roots: list[bytes] = []
    step = 1 << height
    # One run at a time: its leaves and inner nodes are dropped as soon as its root is known,
    # so the memory they take is reused by the next run instead of growing with the file.
    for first in range(start, stop, step):
        level = digests(_LEAF, leaves[first : min(first + step, stop)])
        while len(level) > 1:
            level = _parents(level)
        roots += level
    return roots


def root(level: list[bytes]) -> bytes:
    """``MTH`` from the roots of consecutive runs of ``2**h`` leaves (see ``subtree_roots``)."""
    if not level:
        return sha256(b"").digest()
    while len(level) > 1:
        level = _parents(level)
    return level[0]


def block_height(count: int) -> int:
    """A run length ``2**h`` that cuts ``count`` leaves into about 64 runs (h = 0 for few)."""
    return max(0, (count // 64).bit_length() - 1)


def _parents(level: list[bytes]) -> list[bytes]:
    paired = len(level) - len(level) % 2
    parents = digests(_NODE, level[0:paired:2], level[1:paired:2])
    if paired < len(level):
        parents.append(level[-1])  # unpaired: carried up unchanged
    return parents
