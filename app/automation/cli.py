"""`flask --app wsgi automation scheduler` (the Procfile's worker) and `... automation run JOB OWNER/REPO`."""

from __future__ import annotations

import json
import signal
import sys
import threading

import click
from flask.cli import AppGroup, ScriptInfo, pass_script_info

from app.automation.service import Automation

automation_cli = AppGroup("automation", help="Automation jobs and the scheduler process.")


def _automation(info: ScriptInfo) -> Automation | None:
    automation = info.load_app().extensions.get("aegis.automation")
    return automation if isinstance(automation, Automation) else None


def idle(reason: str) -> None:
    """A Procfile runner (honcho, foreman) stops every process when one exits: with the scheduler off, the
    worker says why and waits for SIGTERM instead of exiting."""
    click.echo(f"aegis scheduler not running: {reason}", err=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()


@automation_cli.command("scheduler", with_appcontext=False)
@pass_script_info
def scheduler(info: ScriptInfo) -> None:
    """Run the scheduler loop until SIGTERM (needs AUTOMATION_SCHEDULER_ENABLED=true)."""
    from app.automation.scheduler import ScheduleError, run_scheduler

    automation = _automation(info)
    if automation is None or not automation.settings.automation_scheduler_enabled:
        idle("set AUTOMATION_ENABLED=true and AUTOMATION_SCHEDULER_ENABLED=true to start it")
        return
    try:
        run_scheduler(automation)
    except ScheduleError as exc:
        raise click.ClickException(f"AUTOMATION_SCHEDULE_FILE: {exc}") from exc


@automation_cli.command("run", with_appcontext=False)
@click.argument("job")
@click.argument("repository")
@click.option("--dry-run", is_flag=True, help="Show what the job would write; write nothing.")
@click.option("--param", "params", multiple=True, help="KEY=VALUE passed to the job (e.g. source=...).")
@pass_script_info
def run(info: ScriptInfo, job: str, repository: str, dry_run: bool, params: tuple[str, ...]) -> None:
    """Run JOB on OWNER/REPO once as the automation principal and print the run record."""
    from app.automation.jobs import JOBS

    if job not in JOBS:
        raise click.ClickException(f"unknown job {job!r}; one of {', '.join(JOBS)}")
    owner, _, repo = repository.partition("/")
    automation = _automation(info)
    if automation is None:
        raise click.ClickException("automation is off: set AUTOMATION_ENABLED=true (and AUTOMATION_WEBHOOK_SECRET)")
    record = automation.run(job, owner, repo, trigger="cli", dry_run=dry_run,
                            params=dict(p.split("=", 1) for p in params if "=" in p))
    click.echo(json.dumps(record, indent=2))
    sys.exit(0 if record["status"] == "success" else 1)
