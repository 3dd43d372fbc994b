"""`flask audit verify FILE...`: check the hash chain across rotated segments, oldest first."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.audit.chain import AuditChain, AuditWriteError
from app.audit.hashing import GENESIS_HASH
from app.audit.verify import VerifyResult, verify_chain

audit_cli = AppGroup("audit", help="Verify the tamper-evident audit log.")


def report(result: VerifyResult) -> int:
    """Print the outcome and return the process exit code."""
    if result.ok and not result.entries:
        click.echo("OK: no entries")
        return 0
    if result.ok:
        origin = "genesis" if result.anchor == GENESIS_HASH else f"prev_hash {result.anchor}"
        click.echo(f"OK: {result.entries} entries, chain from {origin}, last hash {result.last_hash}")
        if result.torn_lines:
            click.echo(f"note: {result.torn_lines} torn line(s) recovered after crashes")
        return 0
    location = f"{result.path}:{result.first_bad_line}" if result.first_bad_line else result.path or "-"
    click.echo(f"INVALID at {location}: {result.reason} ({result.entries} entries verified before)", err=True)
    return 1


@audit_cli.command("verify", with_appcontext=False)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--from-genesis", is_flag=True, help="Require the first entry to start the chain.")
def verify(files: tuple[str, ...], from_genesis: bool) -> None:
    """Verify FILES (rotated segments oldest first, e.g. audit.log.2 audit.log.1 audit.log)."""
    raise SystemExit(report(verify_chain(list(files), require_genesis=from_genesis)))


@audit_cli.command("recover", with_appcontext=False)
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
def recover(file: str) -> None:
    """Close a torn last line of FILE with a recovery entry (the service also does this at start)."""
    try:
        entry = AuditChain(file).recover()
    except AuditWriteError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("recovered a torn last line" if entry else "nothing to recover")
