"""The operator's commands, one implementation under two names:
`aegis-mcp COMMAND` (the console script of `pip install .`) and `flask --app wsgi aegis COMMAND`.

serve          gunicorn with app/gunicorn_config.py (the settings of ops/gunicorn.conf.py)
check-config   the start-up checks of every launcher, without starting
check-policy   validate a policy file and explain a decision (also `flask policy check`)
verify-audit   verify the audit hash chain (also `flask audit verify`)
generate-key   print a new key for MCP_API_KEYS
"""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup

from app.audit.cli import verify as audit_verify
from app.policy.cli import check as policy_check

aegis_cli = AppGroup("aegis", help="Run, check and look after AegisGitea MCP.")


@aegis_cli.command("serve", with_appcontext=False)
def serve() -> None:
    """Serve with gunicorn (gthread workers, secure bind); settings from the environment and .env."""
    from gunicorn.app.base import BaseApplication

    from app.gunicorn_config import gunicorn_settings

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_settings().items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from gunicorn.util import import_app

            # Each worker builds its own app, as `gunicorn wsgi:app` does (no preload).
            return import_app("app:create_app()")

    Server().run()


@aegis_cli.command("check-config", with_appcontext=False)
def check_config() -> None:
    """Make every start-up check (settings, policy file, Gitea OIDC, session secret) and report."""
    from app.config import Settings, SettingsError
    from app.startup import preflight, refusal

    try:
        settings = Settings.from_env()
        preflight(settings)
    except SettingsError as exc:
        click.echo(refusal(exc), err=True, nl=False)
        raise SystemExit(1) from None
    mode = "OAuth" if settings.oauth_mode else "API-key"
    click.echo(
        f"OK: configuration valid: {mode} mode, Gitea {settings.gitea_url}, listening on "
        f"{settings.mcp_host}:{settings.mcp_port} (DEPLOY_TARGET={settings.deploy_target}), "
        f"policy {settings.policy_file or 'default'}, shared state {'Redis' if settings.redis_url else 'memory'}"
    )


@aegis_cli.command("generate-key", with_appcontext=False)
def generate_key() -> None:
    """Print a new 64-character key for MCP_API_KEYS."""
    from app.auth.api_keys import new_api_key

    click.echo(new_api_key())


aegis_cli.add_command(policy_check, "check-policy")
aegis_cli.add_command(audit_verify, "verify-audit")


def main() -> None:
    """The `aegis-mcp` console script."""
    aegis_cli(prog_name="aegis-mcp")
