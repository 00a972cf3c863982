"""Witnessed checkpoints (issue 14 item 3): two real instances, a town and its district, each with its own
database, signing key, witness folder and log origin, the same software (docs/witnessing.md).

The town fires cases and signs checkpoints; it sends them to the district through the district's REST API
(a real request to the district's app, with the token the district issued to the town's service account)
and, once offline, as a file; the district checks, co-signs and keeps them. Then the town's administrator,
who holds the town's signing key, rewrites a past event and re-signs the whole log, and clears the town's own
witness folder: the town's database is consistent and signed again. Sending again is refused at the district
with an inconsistency kept as a finding; `lawflow audit verify --witness district-copies.jsonl` at the town
and the auditor's standard-library verifier fail, naming the first inconsistency.

The "Done when" of the issue: the first test, on SQLite and PostgreSQL. The refusals of a bad bundle (nothing
kept) are engine-level, on one database.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, func, select, text
from sqlalchemy.pool import NullPool

from tests.apps import AppPool
from tests.audit.test_database_tamper import forge_chain, forged_payload
from tests.audit.two_instances import (
    CONFIG,
    DISTRICT_ORIGIN,
    TOWN,
    api_transport,
    checkpoint,
    held,
    new_case,
    service_token,
)
from tests.cli import Lawflow
from tests.web.helpers import login
from workflow.audit import signing, witness
from workflow.audit import status as verification
from workflow.audit.witness_bundle import SendError, build_bundle, last_cosigned, send
from workflow.clock import FixedClock, local_date, utc_stamp
from workflow.models import WitnessedCheckpoint
from workflow.runtime import Runtime

TOWN_CONFIG = {**CONFIG, "SECRET_KEY": "test-secret-key-for-the-witness-tests-town"}  # another app of the pool


@contextmanager
def owner_rewriting(owner_url: str) -> Iterator[Connection]:
    """The town administrator's connection as the tables' owner, with the append-only triggers out of the way."""
    engine = create_engine(owner_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                for name in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all():
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")
            else:
                for table in ("audit_event", "audit_leaf", "audit_checkpoint", "case_file"):
                    conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield conn
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------------------------- the story


def test_a_town_that_rewrites_its_history_is_caught_by_the_districts_copies(
        town: Runtime, district: Runtime, owner_url: str, app_pool: AppPool, tmp_path: Path,
        clock: FixedClock) -> None:
    town_cli = Lawflow(town)
    district_cli = Lawflow(district, env={"LAWFLOW_ORIGIN": DISTRICT_ORIGIN})

    # The town: its key, two cases, a signed checkpoint. The district: its witness key and the town's key.
    signing.generate_key_file(town.key_path)
    first_case = new_case(town)
    new_case(town)
    first = checkpoint(town)
    keygen = district_cli("witness", "keygen")
    assert keygen.returncode == 0, keygen.stderr
    district_pem = tmp_path / "district-witness.pem"
    district_pem.write_text(keygen.stdout)
    town_pem = tmp_path / "houlong.pem"
    town_pem.write_text(signing.public_pem(signing.load_private_key(town.key_path)))
    trusted = district_cli("witness", "trust", "--org", TOWN, "--key", str(town_pem), "--origin", town.origin)
    assert trusted.returncode == 0, trusted.stderr

    with app_pool.bound(district, CONFIG) as app:
        client = app.test_client()
        transport = api_transport(client, service_token(district))

        # (a) Through the district's API: co-signed, and the co-signature kept in the town's witness folder.
        with town.sessions() as s:
            assert send(s, town.origin, town.witness_path, transport) == (1, 1)
        kept = last_cosigned(town.witness_path)
        assert kept is not None and kept["tree_size"] == first and kept["cosignature"]["witness"] == DISTRICT_ORIGIN

        # (b) As a file, for an offline town: a bundle out, the co-signatures back.
        new_case(town)
        second = checkpoint(town)
        bundle = tmp_path / "bundle.json"
        exported = town_cli("witness", "export-bundle")
        assert exported.returncode == 0, exported.stderr
        assert [c["tree_size"] for c in json.loads(exported.stdout)["checkpoints"]] == [second]
        bundle.write_text(exported.stdout)
        received = district_cli("witness", "receive", "--org", TOWN, str(bundle))
        assert received.returncode == 0 and "witnessed 1 new checkpoint(s)" in received.stdout, received.stderr
        cosigned = tmp_path / "cosigned.jsonl"
        cosigned.write_text(district_cli("witness", "cosignatures", "--org", TOWN).stdout)
        assert town_cli("witness", "keep", str(cosigned)).returncode == 0
        verified = town_cli("audit", "verify", "--quiet")
        assert verified.returncode == 0, verified.stderr
        assert f"last co-signed by the district: tree_size {second}" in verified.stdout

        # The district's copies verify the town as it stands, co-signatures included.
        copies = tmp_path / "district-copies.jsonl"
        copies.write_text(district_cli("witness", "export", "--org", TOWN).stdout)
        intact = town_cli("audit", "verify", "--quiet", "--witness", str(copies), "--witness-key", str(district_pem))
        assert intact.returncode == 0, intact.stderr
        assert "consistent with 2 witnessed checkpoints" in intact.stdout

        # The town's verification page shows the last checkpoint its district co-signed.
        verification.save(verification.status_path(town.instance), verification.run(
            town.sessions, town.origin, utc_stamp(clock.now()), records_dir=None, registry=town.registry))
        with app_pool.bound(town, TOWN_CONFIG) as town_app:
            town_client = town_app.test_client()
            assert login(town_client, "liushen").status_code == 302
            assert f"区里副署的最新检查点：前{second}个事件，由{DISTRICT_ORIGIN}于" in town_client.get(
                "/audit/verify").get_data(as_text=True)

        # The town's administrator rewrites a past event of the first case, drops the log and re-signs it with
        # the town's key, and clears the town's own witness folder: the town alone cannot tell.
        with owner_rewriting(owner_url) as conn:
            forge_chain(conn, first_case, 1, forged_payload, leaves=False)
            conn.execute(text("DELETE FROM audit_checkpoint"))
            conn.execute(text("DELETE FROM audit_leaf"))
        shutil.rmtree(town.witness_path)
        assert checkpoint(town) == second
        new_case(town)
        third = checkpoint(town)
        assert town_cli("audit", "verify", "--quiet").returncode == 0  # consistent and signed again

        # Sending again: the district's proof from its held size fails; refused, and kept as a finding.
        with town.sessions() as s:
            kept_before = held(district)
            with pytest.raises(SendError) as refused:
                send(s, town.origin, tmp_path / "town-witness", transport)
        assert "INCONSISTENT" in str(refused.value) and f"held size {second}" in str(refused.value)
        assert f"checkpoint of size {third}" in str(refused.value)
        after = held(district)
        assert after["witnessed_checkpoint"] == kept_before["witnessed_checkpoint"] == 2
        assert after["witness_finding"] == 1 and after["events"] == kept_before["events"] + 1

        # The same rewritten checkpoint, sent by file from the start: the same size with another root, a fork.
        with town.sessions() as s:
            everything = build_bundle(s, town.origin, 0)
        assert everything is not None
        bundle.write_text(json.dumps(everything))
        forked = district_cli("witness", "receive", "--org", TOWN, str(bundle))
        assert forked.returncode == 4 and "FORK" in forked.stderr and f"first {second} events" in forked.stderr
        own_trail = district_cli("audit", "verify", "--quiet")  # the receipts are chained in ADM-houlong there
        assert own_trail.returncode == 0, own_trail.stdout + own_trail.stderr
        status = district_cli("witness", "status")
        assert status.returncode == 4 and f"houlong 泉州市泉港区后龙镇人民政府: tree_size {second}" in status.stdout
        assert status.stdout.count("!!!") == 2 and "FORK" in status.stdout and "INCONSISTENT" in status.stdout

        # The district's page shows the town, its last witnessed checkpoint and the inconsistencies, in red.
        with district.sessions() as s:  # received by the command line, on the system's clock
            received = s.scalar(select(func.max(WitnessedCheckpoint.received_at)))
        clock.set_local_date(local_date(received) + timedelta(days=3))
        page_client = app.test_client()
        assert login(page_client, "qu.shen").status_code == 302
        page = page_client.get("/witness/").get_data(as_text=True)
        assert 'id="town-houlong"' in page and "chain-bad" in page and "发现不一致" in page
        assert f"前{second}个事件" in page and "不一致：" in page and "分叉：" in page
        assert '<td>3</td>' in page  # days since the last checkpoint was received

    # At the town, with the district's copies: the first inconsistency is named, size and both roots.
    with town.sessions() as s:
        now_root = witness.root_at(s, first)
    original = json.loads(copies.read_text().splitlines()[0])
    assert original["tree_size"] == first
    caught = town_cli("audit", "verify", "--quiet", "--witness", str(copies), "--witness-key", str(district_pem))
    assert caught.returncode == 4, caught.stdout + caught.stderr
    first_line = next(line for line in caught.stderr.splitlines() if line.startswith("!!!"))
    assert "FORK" in first_line and f"first {first} events give root {now_root[:16]}" in first_line
    assert original["root"][:16] in first_line

    # A forged copy (another root, the co-signature kept) is not the district's.
    forged = tmp_path / "forged-copies.jsonl"
    forged.write_text(json.dumps({**original, "root": now_root}) + "\n")
    refused_copy = town_cli("audit", "verify", "--quiet", "--witness", str(forged), "--witness-key", str(district_pem))
    assert refused_copy.returncode == 4 and "co-signature is for another checkpoint" in refused_copy.stderr

    # The auditor's standard-library verifier, on the town's export, with the district's copies.
    export = tmp_path / "export.jsonl"
    assert town_cli("audit", "export", "-o", str(export)).returncode == 0
    script = tmp_path / "verify.py"
    assert town_cli("audit", "verifier", "-o", str(script)).returncode == 0
    run = subprocess.run([sys.executable, "-I", "-S", str(script), str(export), "--trusted-checkpoint", str(copies),
                          "--witness-key", str(district_pem), "--quiet"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"trusted checkpoint #1 (tree_size {first})" in run.stdout and "history rewritten" in run.stdout
    assert original["root"] in run.stdout and now_root in run.stdout
