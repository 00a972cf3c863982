"""RFC 6962 / RFC 9162 Merkle tree: known answers (transparency-dev/merkle testonly and proof vectors),
a recursive reference, exhaustive proofs for sizes up to 40, and the transparency-dev corruption probes."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable

import pytest

from workflow.audit.verifier import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    leaf_hash_data,
    merkle_root,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

# transparency-dev/merkle testonly/constants.go: LeafInputs, RootHashes, NodeHashes.
LEAF_INPUTS = [h(x) for x in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                              "606162636465666768696a6b6c6d6e6f"]]  # fmt: skip
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
NODES = [
    ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
     "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
     "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
     "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
     "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
     "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
     "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"],
    ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
     "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"],
    ["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]  # fmt: skip
# testonly CompactTrees(): (level, index) of the right-edge subtrees for each size.
COMPACT = [[], [(0, 0)], [(1, 0)], [(1, 0), (0, 2)], [(2, 0)], [(2, 0), (0, 4)], [(2, 0), (1, 2)],
           [(2, 0), (1, 2), (0, 6)], [(3, 0)]]  # fmt: skip
LEAVES8 = [leaf_hash_data(d) for d in LEAF_INPUTS]


def test_empty_tree_root() -> None:
    assert merkle_root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert EMPTY_ROOT.hex() == ROOTS[0]
    assert CompactRange().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(9))
def test_known_roots(size: int) -> None:
    assert merkle_root(LEAVES8[:size]).hex() == ROOTS[size]
    cr = CompactRange()
    cr.extend(LEAVES8[:size])
    assert cr.root().hex() == ROOTS[size]
    assert cr.to_json() == [NODES[level][index] for level, index in COMPACT[size]]


def test_leaf_and_node_hashing() -> None:
    assert LEAVES8[1].hex() == NODES[0][1]
    assert node_hash(LEAVES8[0], LEAVES8[1]).hex() == NODES[1][0]
    event = "ab" * 32
    assert leaf_hash(event) == hashlib.sha256(b"\x00" + bytes.fromhex(event)).digest()


# transparency-dev/merkle proof/verify_test.go (leaf numbers there are 1-based).
INCLUSION_VECTORS = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY_VECTORS = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION_VECTORS)
def test_known_inclusion_proofs(leaf: int, size: int, proof: list[str]) -> None:
    got = inclusion_proof(LEAVES8, leaf - 1, size)
    assert [p.hex() for p in got] == proof
    assert verify_inclusion(LEAVES8[leaf - 1], leaf - 1, size, got, h(ROOTS[size]))


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY_VECTORS)
def test_known_consistency_proofs(m: int, n: int, proof: list[str]) -> None:
    got = consistency_proof(LEAVES8, m, n)
    assert [p.hex() for p in got] == proof
    assert verify_consistency(m, n, h(ROOTS[m]), h(ROOTS[n]), got)


# --- reference implementation and exhaustive checks -------------------------------------------------


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, literally: split at the largest power of two smaller than n."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


LEAVES = [leaf_hash_data(i.to_bytes(2, "big")) for i in range(300)]


def test_iterative_root_matches_recursive_definition() -> None:
    for n in range(301):
        assert merkle_root(LEAVES[:n]) == reference_root(LEAVES[:n]), n


def test_compact_range_batches_match_full_rebuild() -> None:
    rng = random.Random(7)
    cr = CompactRange()
    while cr.size < 300:
        batch = rng.choice([1, 1, 2, 3, 5, 8, 17, 64])
        cr.extend(LEAVES[cr.size : cr.size + batch])
        assert cr.root() == merkle_root(LEAVES[: cr.size])
        # The integrator stores the range as JSON with the checkpoint and resumes from it later.
        cr = CompactRange.from_json(cr.to_json(), cr.size)
    one_by_one = CompactRange()
    for leaf in LEAVES:
        one_by_one.append(leaf)
    assert one_by_one.root() == cr.root() and one_by_one.to_json() == cr.to_json()


def test_compact_range_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="has 2 hashes"):
        CompactRange.from_json(["00" * 32], 3)
    with pytest.raises(ValueError, match="hex"):
        CompactRange.from_json(["zz" * 32], 1)
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange().append(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange().extend([LEAVES[0], b"short"])


def test_large_tree_compact_range_equals_root() -> None:
    leaves = [leaf_hash_data(i.to_bytes(4, "big")) for i in range(100_003)]
    cr = CompactRange()
    cr.extend(leaves[:65_537])
    cr.extend(leaves[65_537:])
    assert cr.root() == merkle_root(leaves)


# Corruption probes, mirroring transparency-dev/merkle proof/verify_test.go.
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def flipped(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    out = list(proof)
    out[i] = bytes([out[i][0] ^ bit]) + out[i][1:]
    return out


def inclusion_probes(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes) -> list[tuple]:
    probes = [
        ("index - 1", index - 1, size, root, leaf, proof),
        ("index + 1", index + 1, size, root, leaf, proof),
        ("index ^ 2", index ^ 2, size, root, leaf, proof),
        ("size * 2", index, size * 2, root, leaf, proof),
        ("size / 2", index, size // 2, root, leaf, proof),
        ("wrong leaf", index, size, root, b"WrongLeaf", proof),
        ("wrong leaf 32", index, size, root, SOME_HASH, proof),
        ("empty root", index, size, EMPTY_ROOT, leaf, proof),
        ("random root", index, size, SOME_HASH, leaf, proof),
        ("trailing garbage", index, size, root, leaf, [*proof, b""]),
        ("trailing root", index, size, root, leaf, [*proof, root]),
        ("preceding garbage", index, size, root, leaf, [b"", *proof]),
        ("preceding root", index, size, root, leaf, [root, *proof]),
    ]
    for i in range(len(proof)):
        probes.append((f"flipped bit in proof[{i}]", index, size, root, leaf, flipped(proof, i, 8)))
    if proof:
        probes.append(("removed node", index, size, root, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append(("inserted node", index, size, root, leaf, [proof[0], SOME_HASH, *proof[1:]]))
    return probes


def test_inclusion_proofs_all_sizes_and_corruptions() -> None:
    leaves = LEAVES[:40]
    for size in range(1, 41):
        root = merkle_root(leaves[:size])
        for index in range(size):
            proof = inclusion_proof(leaves, index, size)
            assert verify_inclusion(leaves[index], index, size, proof, root), (index, size)
            assert root_from_inclusion_proof(leaves[index], index, size, proof) == root
            for desc, i, s, r, leaf, p in inclusion_probes(index, size, proof, root, leaves[index]):
                assert not verify_inclusion(leaf, i, s, p, r), (desc, index, size)


def consistency_probes(m: int, n: int, r1: bytes, r2: bytes, proof: list[bytes]) -> list[tuple]:
    probes = [
        ("m - 1", m - 1, n, r1, r2, proof),
        ("m + 1", m + 1, n, r1, r2, proof),
        ("m ^ 2", m ^ 2, n, r1, r2, proof),
        ("n * 2", m, n * 2, r1, r2, proof),
        ("n / 2", m, n // 2, r1, r2, proof),
        ("wrong root1", m, n, b"WrongRoot", r2, proof),
        ("wrong root2", m, n, r1, b"WrongRoot", proof),
        ("other root1", m, n, SOME_HASH, r2, proof),
        ("other root2", m, n, r1, SOME_HASH, proof),
        ("swapped roots", m, n, r2, r1, proof),
        ("empty proof", m, n, r1, r2, []),
        ("trailing garbage", m, n, r1, r2, [*proof, b""]),
        ("trailing root1", m, n, r1, r2, [*proof, r1]),
        ("trailing root2", m, n, r1, r2, [*proof, r2]),
        ("preceding garbage", m, n, r1, r2, [b"", *proof]),
        ("preceding root1", m, n, r1, r2, [r1, *proof]),
        ("preceding root2", m, n, r1, r2, [r2, *proof]),
        ("preceding proof[0]", m, n, r1, r2, [proof[0], *proof]),
        ("truncated proof", m, n, r1, r2, proof[:-1]),
        ("inserted node", m, n, r1, r2, [proof[0], SOME_HASH, *proof[1:]]),
    ]
    for i in range(len(proof)):
        probes.append((f"flipped bit in proof[{i}]", m, n, r1, r2, flipped(proof, i, 16)))
    return probes


def test_consistency_proofs_all_sizes_and_corruptions() -> None:
    leaves = LEAVES[:40]
    roots = [merkle_root(leaves[:n]) for n in range(41)]
    for n in range(41):
        for m in range(n + 1):
            proof = consistency_proof(leaves, m, n)
            assert verify_consistency(m, n, roots[m], roots[n], proof), (m, n)
            if not proof:  # m == 0 or m == n: only trivially consistent; the probes need a proof
                assert (m == 0 or m == n) and not verify_consistency(m, n, roots[m], SOME_HASH, [SOME_HASH])
                continue
            for desc, a, b, r1, r2, p in consistency_probes(m, n, roots[m], roots[n], proof):
                assert not verify_consistency(a, b, r1, r2, p), (desc, m, n)


def test_degenerate_consistency_cases() -> None:
    r = merkle_root(LEAVES[:5])
    assert verify_consistency(5, 5, r, r, [])
    assert not verify_consistency(5, 5, r, SOME_HASH, [])
    assert not verify_consistency(5, 5, r, r, [SOME_HASH])
    assert not verify_consistency(6, 5, r, r, [])  # time travel
    assert verify_consistency(0, 5, EMPTY_ROOT, r, [])
    assert not verify_consistency(0, 5, SOME_HASH, r, [])


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        (inclusion_proof, (LEAVES[:5], 5, 5)),
        (inclusion_proof, (LEAVES[:5], 0, 6)),
        (inclusion_proof, (LEAVES[:5], -1, 5)),
        (consistency_proof, (LEAVES[:5], 6, 5)),
        (consistency_proof, (LEAVES[:5], 2, 6)),
    ],
)
def test_proof_generation_rejects_bad_ranges(fn: Callable[..., object], args: tuple) -> None:
    with pytest.raises(ValueError):
        fn(*args)
