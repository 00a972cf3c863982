"""`lawflow witness ...`: the district witnesses its towns' checkpoints (docs/witnessing.md).

At the district:  keygen, trust --org T --key pub.pem, receive --org T bundle.json, export --org T (the
                  co-signed copies, also as `cosignatures`), status
At the town:      send --url URL (through the district's API), export-bundle (a file for an offline town),
                  keep cosigned.jsonl (the district's answer to a file), and `lawflow audit verify --witness
                  district-copies.jsonl --witness-key district-witness.pem`

A group of its own, registered by workflow/cli.py; it reads the runtime the way the other commands do.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from workflow.runtime import Runtime


class WitnessCommandError(click.ClickException):
    """A refusal printed as one line (Chinese first, then English)."""

    def format_message(self) -> str:
        return self.message


def _runtime(ctx: click.Context) -> Runtime:
    from workflow.first_run import not_initialised_message, schema_missing

    obj = ctx.ensure_object(dict)
    rt: Runtime = obj.setdefault("runtime", Runtime.from_env())
    if not obj.get("schema_checked"):
        if schema_missing(rt.db):
            raise NotInitialised(not_initialised_message(rt.database_url))
        obj["schema_checked"] = True
    return rt


class NotInitialised(WitnessCommandError):
    """The instance has no database schema yet: exit 2, as the other commands (workflow/cli.py)."""

    exit_code = 2


def _actor() -> str:
    import getpass

    try:
        return f"console:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"console:uid{os.getuid()}"


@click.group()
def witness() -> None:
    """Witnessed checkpoints: the district co-signs and keeps its towns' checkpoints."""


# ---------------------------------------------------------------- at the district


@witness.command("keygen")
@click.pass_context
def keygen(ctx: click.Context) -> None:
    """Create the district's witness key (LAWFLOW_WITNESS_KEY_FILE, default beside the audit signing key) and
    print its public key (PEM): give it to the towns and to auditors."""
    from workflow.audit import signing
    from workflow.audit.cosigning import witness_key_path

    rt = _runtime(ctx)
    path = witness_key_path(rt.key_path)
    try:
        key = signing.generate_key_file(path)
    except signing.SigningKeyError as exc:
        raise WitnessCommandError(f"无法创建见证密钥 / cannot create the witness key: {exc}") from None
    click.echo(f"见证密钥 witness key: {path}", err=True)
    click.echo(signing.public_pem(key), nl=False)


@witness.command("public-key")
@click.pass_context
def public_key(ctx: click.Context) -> None:
    """Print the district's witness public key (PEM)."""
    from workflow.audit import signing
    from workflow.audit.cosigning import BundleError, load_witness_key, witness_key_path

    rt = _runtime(ctx)
    try:
        click.echo(signing.public_pem(load_witness_key(witness_key_path(rt.key_path))), nl=False)
    except BundleError as exc:
        raise WitnessCommandError(str(exc)) from None


@witness.command("trust")
@click.option("--org", "org_id", required=True, help="The town's organisation here.")
@click.option("--key", "pem", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The town's checkpoint public key (PEM), received from the town outside the system.")
@click.option("--origin", help="The town's log name in its checkpoints (default: lawflow/<org>).")
@click.pass_context
def trust(ctx: click.Context, org_id: str, pem: str, origin: str | None) -> None:
    """Register a town's first checkpoint key. Later keys come only through the town's signed rotation record."""
    from workflow.audit.cosigning import BundleError
    from workflow.audit.cosigning import trust as trust_key

    rt = _runtime(ctx)
    try:
        kid = trust_key(rt.sessions, org_id=org_id, pem=Path(pem), origin=origin or f"lawflow/{org_id}",
                        actor=_actor(), clock=rt.clock)
    except BundleError as exc:
        raise WitnessCommandError(str(exc)) from None
    click.echo(f"已登记 {org_id} 的签名密钥 trusted {org_id}'s key {kid}")


@witness.command("receive")
@click.option("--org", "org_id", required=True, help="The town the bundle comes from.")
@click.argument("bundle", type=click.File("rb"))
@click.pass_context
def receive(ctx: click.Context, org_id: str, bundle: Any) -> None:
    """Check, co-sign and keep a town's bundle (a file from an offline town). Exit 1: refused, nothing kept;
    exit 4: a checkpoint contradicts those held (kept as a finding)."""
    from workflow.audit import cosigning

    rt = _runtime(ctx)
    try:
        parsed = cosigning.parse_bundle(bundle.read())
        receipt = cosigning.receive(rt.sessions, org_id=org_id, bundle=parsed, transport="file",
                                    witness_key=lambda: cosigning.load_witness_key(
                                        cosigning.witness_key_path(rt.key_path)),
                                    witness=rt.origin, actor=_actor(), clock=rt.clock)
    except cosigning.BundleError as exc:
        raise WitnessCommandError(f"见证包被拒绝，未保存任何内容 / bundle refused, nothing kept: {exc}") from None
    for kid in receipt.keys_followed:
        click.echo(f"按轮换记录登记新密钥 followed the town's key rotation to {kid}")
    click.echo(f"新见证 {receipt.new} 个检查点 witnessed {receipt.new} new checkpoint(s) of {org_id}"
               + (f", up to tree_size {receipt.cosigned[-1]['tree_size']}" if receipt.cosigned else ""))
    if receipt.inconsistency is not None:
        click.echo(f"!!! {receipt.inconsistency.text()}", err=True)
        sys.exit(4)


@witness.command("export")
@click.option("--org", "org_id", required=True)
@click.pass_context
def export(ctx: click.Context, org_id: str) -> None:
    """The town's checkpoints held here with the district's co-signatures, as JSON Lines: for the town
    (`lawflow witness keep`) and for verifying it (`lawflow audit verify --witness FILE --witness-key PEM`)."""
    from workflow.audit.cosigning import held_copies

    rt = _runtime(ctx)
    with rt.sessions() as session:
        copies = held_copies(session, org_id)
    if not copies:
        raise WitnessCommandError(f"本区未持有「{org_id}」的检查点 / no checkpoint of {org_id} is held here")
    for copy in copies:
        click.echo(json.dumps(copy, ensure_ascii=False, sort_keys=True))


witness.add_command(export, "cosignatures")  # the same lines, sent back to an offline town


@witness.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """Per town: the last witnessed checkpoint and any inconsistency found."""
    from workflow.audit.cosigning import overview
    from workflow.clock import utc_stamp

    rt = _runtime(ctx)
    with rt.sessions() as session:
        towns = overview(session)
    failed = False
    for town in towns:
        last = town.last
        held = (f"tree_size {last.tree_size}, root {last.root[:16]}…, received {utc_stamp(last.received_at)} "
                f"({last.transport})" if last else "尚未见证 nothing witnessed yet")
        click.echo(f"{town.org_id} {town.name_zh}: {held}")
        for finding in town.findings:
            failed = True
            click.echo(f"  !!! {utc_stamp(finding.received_at)} {finding.zh} / {finding.en}")
    if failed:
        sys.exit(4)


# ---------------------------------------------------------------- at the town


@witness.command("export-bundle")
@click.option("--since", type=int, help="The size the district acknowledged (default: the last co-signed here).")
@click.pass_context
def export_bundle(ctx: click.Context, since: int | None) -> None:
    """The bundle for the district (JSON on stdout), for a town without a connection to it."""
    from workflow.audit.witness_bundle import build_bundle, last_cosigned

    rt = _runtime(ctx)
    if since is None:
        last = last_cosigned(rt.witness_path)
        since = int(last["tree_size"]) if last else 0
    with rt.sessions() as session:
        bundle = build_bundle(session, rt.origin, since)
    if bundle is None:
        raise WitnessCommandError(f"没有大于 {since} 的新检查点 / no checkpoint beyond tree_size {since} to send "
                                  "(lawflow audit checkpoint)")
    click.echo(json.dumps(bundle, ensure_ascii=False, sort_keys=True))


@witness.command("keep")
@click.argument("copies", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def keep(ctx: click.Context, copies: str) -> None:
    """Keep the district's co-signed copies (`lawflow witness cosignatures` there) in the witness folder."""
    from workflow.audit.witness_bundle import SendError, keep_cosigned

    rt = _runtime(ctx)
    try:
        items = [json.loads(line) for line in Path(copies).read_text(encoding="utf-8").splitlines() if line.strip()]
    except (ValueError, UnicodeDecodeError) as exc:
        raise WitnessCommandError(f"副署文件格式有误 / {copies} is not JSON Lines: {exc}") from None
    with rt.sessions() as session:
        try:
            added = keep_cosigned(rt.witness_path, session, items)
        except SendError as exc:
            raise WitnessCommandError(str(exc)) from None
    click.echo(f"新保存区里的副署 {added} 个 kept {added} new co-signature(s) in {rt.witness_path}")


def http_transport(url: str, token: str) -> Any:
    """POST/GET JSON to the district's /api/v1 with the town's bearer token (standard library only)."""
    base = url.rstrip("/") + "/api/v1"

    def call(method: str, path: str, body: Mapping[str, Any] | None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - the operator's URL
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, json.loads(exc.read() or b"null")
            except ValueError:
                return exc.code, None

    return call


@witness.command("send")
@click.option("--url", required=True, help="The district's lawflow, e.g. https://lawflow.quangang.gov.cn")
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False),
              help="The token the district issued to this town (default: LAWFLOW_WITNESS_TOKEN).")
@click.pass_context
def send(ctx: click.Context, url: str, token_file: str | None) -> None:
    """Send the checkpoints the district has not co-signed yet, and keep its co-signatures."""
    from workflow.audit.witness_bundle import SendError
    from workflow.audit.witness_bundle import send as send_bundle

    token = Path(token_file).read_text().strip() if token_file else os.environ.get("LAWFLOW_WITNESS_TOKEN", "")
    if not token:
        raise WitnessCommandError("需要区里签发的令牌 / the district's token is needed (--token-file or "
                                  "LAWFLOW_WITNESS_TOKEN)")
    rt = _runtime(ctx)
    try:
        with rt.sessions() as session:
            sent, kept = send_bundle(session, rt.origin, rt.witness_path, http_transport(url, token))
    except (SendError, urllib.error.URLError, OSError) as exc:
        raise WitnessCommandError(f"发送失败 / sending failed: {exc}") from None
    click.echo(f"已发送 {sent} 个检查点，保存副署 {kept} 个 sent {sent} checkpoint(s), kept {kept} co-signature(s)")
