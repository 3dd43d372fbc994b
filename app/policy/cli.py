"""`flask policy check FILE`: validate a policy file before deploy and explain a decision."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.policy.engine import Policy, PolicyError

policy_cli = AppGroup("policy", help="Validate and explain policy files.")


@policy_cli.command("check", with_appcontext=False)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--tool", help="Tool to explain a decision for.")
@click.option("--repo", "repository", help="Repository owner/name.")
@click.option("--path", "path", help="Repository path for path-bearing tools.")
@click.option("--write", "is_write", is_flag=True, help="Treat the tool as a write tool.")
def check(file: str, tool: str | None, repository: str | None, path: str | None, is_write: bool) -> None:
    """Validate FILE; with --tool, print the decision and the rule that made it."""
    from app.tools import policy_names

    catalog = policy_names()
    try:
        # The same check start-up makes: a misspelt tool name is an error, not a rule that denies nothing.
        policy = Policy.load(file, known_tools=catalog)
    except PolicyError as exc:
        click.echo(f"INVALID {file}: {len(exc.errors)} problem(s)", err=True)
        for error in exc.errors:
            click.echo(f"  - {error}", err=True)
        raise SystemExit(1) from exc
    click.echo(f"VALID {file}: {len(policy.exact)} repository rule(s), {len(policy.by_owner)} owner/* rule(s)")
    if tool:
        is_write = is_write or catalog.get(tool, False)
        decision = policy.decide(tool, is_write, repository, path)
        verdict = "ALLOW" if decision.allowed else "DENY"
        click.echo(f"{verdict} {tool} repo={repository or '-'} path={path if path is not None else '-'}")
        click.echo(f"  reason: {decision.reason}")
        click.echo(f"  rule: {decision.rule}")
