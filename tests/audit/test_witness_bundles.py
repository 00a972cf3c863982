"""The district refuses a bad bundle whole, naming what and why, and keeps nothing; it follows a town's key
only through the town's signed rotation record; what it keeps is append-only (workflow/audit/cosigning.py).

The town has signed three checkpoints (s1 < s2 < s3); the district holds s2 only, so that a smaller checkpoint it
does not hold is stale, and the next one's proof must start at s2. Engine-level, on one database: the
exchange over both databases and both transports is tests/audit/test_witnessed_checkpoints.py.
"""

from __future__ import annotations

import base64
import copy
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from werkzeug.serving import make_server

from tests.apps import AppPool
from tests.audit.two_instances import CONFIG, DISTRICT, TOWN, checkpoint, held, new_case, service_token
from tests.cli import Lawflow
from workflow.audit import cosigning, signing
from workflow.audit.canonical import checkpoint_body, key_id
from workflow.audit.rotation import rotate_key
from workflow.audit.witness_bundle import build_bundle, last_cosigned
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database  # the rules of the exchange, not the database, are the subject here


class Scene:
    def __init__(self, town: Runtime, district: Runtime, tmp_path: Path) -> None:
        self.town, self.district = town, district
        signing.generate_key_file(town.key_path)
        self.sizes = []
        for _ in range(3):
            new_case(town)
            self.sizes.append(checkpoint(town))
        signing.generate_key_file(cosigning.witness_key_path(district.key_path))
        pem = tmp_path / "houlong.pem"
        pem.write_text(signing.public_pem(signing.load_private_key(town.key_path)))
        cosigning.trust(district.sessions, org_id=TOWN, pem=pem, origin=town.origin, actor="console:test",
                        clock=district.clock)
        only_s2 = self.bundle(0)
        only_s2["checkpoints"] = [cp for cp in only_s2["checkpoints"] if cp["tree_size"] == self.sizes[1]]
        del only_s2["checkpoints"][0]["consistency"]
        assert self.receive(only_s2).new == 1

    def bundle(self, since: int) -> dict[str, Any]:
        with self.town.sessions() as s:
            found = build_bundle(s, self.town.origin, since)
        assert found is not None
        return found

    def receive(self, bundle: Any, org_id: str = TOWN) -> cosigning.Receipt:
        return cosigning.receive(self.district.sessions, org_id=org_id, bundle=bundle, transport="file",
                                 witness_key=lambda: cosigning.load_witness_key(
                                     cosigning.witness_key_path(self.district.key_path)),
                                 witness=self.district.origin, actor="console:test", clock=self.district.clock)


@pytest.fixture
def scene(town: Runtime, district: Runtime, tmp_path: Path) -> Scene:
    return Scene(town, district, tmp_path)


def _resigned_by_another_key(scene: Scene, bundle: dict[str, Any]) -> None:
    other = Ed25519PrivateKey.generate()
    cp = bundle["checkpoints"][0]
    cp["key_id"] = key_id(scene.town.origin, signing.public_raw(other))
    cp["signature"] = signing.sign(other, checkpoint_body(cp))


def _altered_root(scene: Scene, bundle: dict[str, Any]) -> None:
    bundle["checkpoints"][0]["root"] = "0" * 64


def _proof_from(size: Callable[[Scene], int]) -> Callable[[Scene, dict[str, Any]], None]:
    def change(scene: Scene, bundle: dict[str, Any]) -> None:
        bundle["checkpoints"][0]["consistency"]["from_size"] = size(scene)
    return change


BAD: dict[str, tuple[Callable[[Scene, dict[str, Any]], None], str]] = {
    "wrong format": (lambda s, b: b.update(format="lawflow.witness-bundle.v0"), "bundle field format"),
    "missing root": (lambda s, b: b["checkpoints"][0].pop("root"), "checkpoints[0]: lacks root"),
    "no checkpoint": (lambda s, b: b.update(checkpoints=[]), "no checkpoint to witness"),
    "malformed proof": (lambda s, b: b["checkpoints"][0]["consistency"]["proof"].__setitem__(0, "zz"),
                        "checkpoints[0].consistency"),
    "another log": (lambda s, b: b.update(origin="lawflow/elsewhere"), "checkpoints[0].origin"),
    "wrong key": (_resigned_by_another_key, "which is not trusted for houlong"),
    "bad signature": (_altered_root, "is not validly signed by key"),
    "stale size": (lambda s, b: b.update(checkpoints=s.bundle(0)["checkpoints"][:1]),
                   "stale size: the checkpoint checkpoints[0] (tree_size {s1}) is smaller than the {s2}"),
    "proof from another size": (_proof_from(lambda s: s.sizes[0]), "must start at {s2}, the size the district holds "
                                                                    "(given: from {s1})"),
    "no proof": (lambda s, b: b["checkpoints"][0].pop("consistency"), "(given: none)"),
    "forged rotation": (lambda s, b: b["rotations"].append({"rotation": {
        "format": "lawflow.key-rotation.v1", "origin": s.town.origin, "old_key_id": b["checkpoints"][0]["key_id"],
        "new_key_id": key_id(s.town.origin, b"\x01" * 32), "new_public_key": base64.b64encode(b"\x01" * 32).decode(),
        "old_key_lost": False, "rotated_at": "2026-03-02T01:00:00.000000Z"},
        "old_key_signature": "AAAA", "new_key_signature": "AAAA"}), "not validly signed by the old key and the new one"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_bundle_is_refused_by_name_and_nothing_is_kept(scene: Scene, case: str) -> None:
    change, words = BAD[case]
    bundle = scene.bundle(scene.sizes[1])  # s3, with its proof from s2: accepted as it is
    change(scene, bundle)
    before = held(scene.district)
    with pytest.raises(cosigning.BundleError) as refused:
        scene.receive(bundle)
    assert words.format(s1=scene.sizes[0], s2=scene.sizes[1]) in refused.value.en, refused.value.en
    assert held(scene.district) == before


@pytest.mark.parametrize("org, words", [("nowhere", "unknown town: no organisation 'nowhere'"),
                                        (DISTRICT, "unknown town: no key is trusted for quangang")])
def test_a_bundle_from_an_unknown_town_is_refused(scene: Scene, org: str, words: str) -> None:
    before = held(scene.district)
    with pytest.raises(cosigning.BundleError) as refused:
        scene.receive(scene.bundle(scene.sizes[1]), org_id=org)
    assert words in refused.value.en and held(scene.district) == before


def test_malformed_json_is_refused() -> None:
    with pytest.raises(cosigning.BundleError) as refused:
        cosigning.parse_bundle(b'{"format": "lawflow.witness-bundle.v1", ')
    assert "the bundle is not valid JSON" in refused.value.en


def test_the_district_follows_the_towns_key_through_its_signed_rotation(scene: Scene, tmp_path: Path) -> None:
    """A checkpoint signed by the town's new key is accepted once the rotation, signed by the old key and the new
    one, comes with it; the proof from s2 still verifies across the rotation."""
    new_key = tmp_path / "houlong-2.key"
    rotate_key(scene.town.sessions, old_key=signing.load_private_key(scene.town.key_path), new_key_path=new_key,
               origin=scene.town.origin, clock=scene.town.clock)
    rotated = signing.key_id_for(scene.town.origin, signing.load_private_key(new_key))
    scene.town.key_path = new_key
    size = checkpoint(scene.town)
    bundle = scene.bundle(scene.sizes[1])
    assert bundle["checkpoints"][-1]["key_id"] == rotated
    without = copy.deepcopy(bundle)
    without["rotations"] = []
    with pytest.raises(cosigning.BundleError) as refused:
        scene.receive(without)
    assert f"signed by key {rotated}, which is not trusted" in refused.value.en
    receipt = scene.receive(bundle)
    assert receipt.keys_followed == [rotated] and receipt.new == 2 and receipt.cosigned[-1]["tree_size"] == size
    assert held(scene.district)["witness_town_key"] == 2


def test_what_the_district_keeps_is_append_only(scene: Scene) -> None:
    with scene.district.db.begin() as conn:
        for statement, verb in (("UPDATE witnessed_checkpoint SET root = :zero", "UPDATE"),
                                ("DELETE FROM witness_town_key", "DELETE")):
            with pytest.raises(Exception, match=f"is append-only: {verb} refused"), conn.begin_nested():
                conn.execute(text(statement), {"zero": "0" * 64})


def test_lawflow_witness_send_talks_to_a_live_district(scene: Scene, app_pool: AppPool, tmp_path: Path) -> None:
    """The town's command line over real HTTP (urllib) to the district's app served on a socket: it asks for the
    size held (s2), sends s3 with its proof, and keeps the co-signature in the town's witness folder."""
    token = tmp_path / "district.token"
    token.write_text(service_token(scene.district) + "\n")
    with app_pool.bound(scene.district, CONFIG) as app:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            sent = Lawflow(scene.town)("witness", "send", "--url", f"http://127.0.0.1:{server.port}",
                                       "--token-file", str(token))
        finally:
            server.shutdown()
            thread.join()
    assert sent.returncode == 0, sent.stderr
    assert "sent 1 checkpoint(s), kept 1 co-signature(s)" in sent.stdout
    kept = last_cosigned(scene.town.witness_path)
    assert kept is not None and kept["tree_size"] == scene.sizes[2]
    refused = Lawflow(scene.town)("witness", "send", "--url", "http://127.0.0.1:9", "--token-file", str(token))
    assert refused.returncode == 1 and "sending failed" in refused.stderr  # nothing listens there
