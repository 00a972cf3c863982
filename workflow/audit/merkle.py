"""RFC 6962 / RFC 9162 Merkle tree over event hashes (Python standard library only): roots, inclusion and
consistency proofs, and the compact range the checkpoint integrator extends. Shared by the write path
(workflow/audit/checkpoint.py) and the offline verifier; part of the auditor's one file (handout.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from workflow.audit.canonical import EMPTY_ROOT, HEX64, is_int

_sha256 = hashlib.sha256

# --------------------------------------------------------------------------------------------------
# RFC 6962 / RFC 9162 Merkle tree
# --------------------------------------------------------------------------------------------------


def leaf_hash_data(data: bytes) -> bytes:
    """RFC 6962 leaf hash of raw leaf data: SHA-256(0x00 || data)."""
    return _sha256(b"\x00" + data).digest()


def leaf_hash(event_hash_hex: str) -> bytes:
    """Leaf hash of an event: SHA-256(0x00 || 32-byte event hash)."""
    return _sha256(b"\x00" + bytes.fromhex(event_hash_hex)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node: SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash of a list of leaf hashes (empty tree = SHA-256 of nothing).

    Iterative, level by level: carrying a lone last node up unchanged is the same as RFC 6962's split at
    the largest power of two smaller than n.
    """
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    sha = _sha256
    while len(level) > 1:
        it = iter(level)
        nxt = [sha(b"\x01" + a + b).digest() for a, b in zip(it, it, strict=False)]
        if len(level) & 1:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_range(leaves: Sequence[bytes], size: int) -> None:
    if not 0 <= size <= len(leaves):
        raise ValueError(f"tree size {size} is outside 0..{len(leaves)}")


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """RFC 6962 PATH(index, D[0:size]) for the leaf hashes ``leaves``."""
    _check_range(leaves, size)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside 0..{size - 1}")

    def path(m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*path(m, lo, lo + k), merkle_root(leaves[lo + k : hi])]
        return [*path(m - k, lo + k, hi), merkle_root(leaves[lo : lo + k])]

    return path(index, 0, size)


def consistency_proof(leaves: Sequence[bytes], m: int, n: int) -> list[bytes]:
    """RFC 6962 PROOF(m, D[0:n]): proves that the tree of size m is a prefix of the tree of size n."""
    _check_range(leaves, n)
    if not 0 <= m <= n:
        raise ValueError(f"old size {m} is outside 0..{n}")
    if m == 0 or m == n:
        return []

    def subproof(m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        size = hi - lo
        if m == size:
            return [] if complete else [merkle_root(leaves[lo:hi])]
        k = _split(size)
        if m <= k:
            return [*subproof(m, lo, lo + k, complete), merkle_root(leaves[lo + k : hi])]
        return [*subproof(m - k, lo + k, hi, False), merkle_root(leaves[lo : lo + k])]

    return subproof(m, 0, n, True)


def _all_hashes(*items: bytes) -> bool:
    return all(isinstance(x, bytes | bytearray) and len(x) == 32 for x in items)


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """RFC 9162 2.1.3.2: the root implied by an inclusion proof, or None if the proof is malformed."""
    if not 0 <= index < size or not _all_hashes(leaf, *proof):
        return None
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """True when ``proof`` shows that ``leaf`` is at ``index`` in the tree of ``size`` with ``root``."""
    got = root_from_inclusion_proof(leaf, index, size, proof)
    return got is not None and isinstance(root, bytes | bytearray) and got == root


def verify_consistency(m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 2.1.4.2: True when the tree (m, root_m) is a prefix of the tree (n, root_n)."""
    if not 0 <= m <= n or not _all_hashes(root_m, root_n, *proof):
        return False
    if m == n:
        return not proof and root_m == root_n
    if m == 0:
        return not proof and root_m == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:  # m is a power of two: the old root is itself a node of the new tree
        path.insert(0, root_m)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root_m and sr == root_n


class CompactRange:
    """The right edge of a Merkle tree of ``size`` leaves: one subtree root per set bit of ``size``.

    The integrator keeps it with each checkpoint and extends the log in batches at O(batch + log n)
    without rebuilding. Serialized form: ``to_json()`` (list of hex strings, largest subtree first);
    the tree size is stored with the checkpoint and passed back to ``from_json``.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        return list(self._hashes)

    def _push(self, h: bytes, width: int) -> None:
        # Precondition: size is a multiple of width, so equal-width right-edge subtrees merge upwards.
        size, hashes, level = self._size, self._hashes, width
        while size & level:
            h = _sha256(b"\x01" + hashes.pop() + h).digest()
            level <<= 1
        hashes.append(h)
        self._size = size + width

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash (32 bytes)."""
        if not _all_hashes(leaf):
            raise ValueError("a leaf hash must be 32 bytes")
        self._push(bytes(leaf), 1)

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append many leaf hashes; aligned power-of-two blocks are hashed level by level (fast path)."""
        items = [bytes(x) for x in leaves]
        if not all(len(x) == 32 for x in items):
            raise ValueError("leaf hashes must be 32 bytes")
        self._extend(items)

    def _extend(self, items: list[bytes]) -> None:
        i, n = 0, len(items)
        while i < n:
            block = 1 << ((n - i).bit_length() - 1)
            if self._size:
                block = min(block, self._size & -self._size)
            if block == 1:
                self._push(items[i], 1)
            else:
                self._push(merkle_root(items[i : i + block]), block)
            i += block

    def root(self) -> bytes:
        """The RFC 6962 root of the tree so far."""
        if not self._hashes:
            return EMPTY_ROOT
        h = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            h = node_hash(left, h)
        return h

    def to_json(self) -> list[str]:
        return [h.hex() for h in self._hashes]

    @classmethod
    def from_json(cls, hashes: Sequence[str], size: int) -> CompactRange:
        if not is_int(size) or size < 0:
            raise ValueError("size must be a non-negative integer")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a compact range of size {size} has {size.bit_count()} hashes, not {len(hashes)}"
            )
        cr = cls()
        for h in hashes:
            if not isinstance(h, str) or not HEX64.fullmatch(h):
                raise ValueError("compact range hashes must be 64 lowercase hex digits")
            cr._hashes.append(bytes.fromhex(h))
        cr._size = size
        return cr


