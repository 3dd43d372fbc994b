"""AegisGitea MCP: an MCP gateway that lets AI clients work with a self-hosted Gitea safely."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.version import __version__ as __version__  # `app.__version__`


def load_settings(config: Any = None) -> Any:
    """Settings from the argument, or from `.env` and the environment."""
    from app.config import Settings

    if isinstance(config, Settings):
        return config
    if isinstance(config, Mapping):
        return Settings.from_mapping({k.upper(): v for k, v in config.items()})
    return Settings.from_env()


def create_app(config: Any = None) -> Flask:
    """Build the application: settings, logging, errors, shared state, governance, tools, blueprints."""
    from app import (
        auth,
        automation,
        cors,
        errors,
        governance,
        hosts,
        http_metrics,
        limits,
        logging,
        oauth,
        outcomes,
        startup,
        store,
        tools,
    )
    from app.audit.cli import audit_cli
    from app.cli import aegis_cli
    from app.json_codec import OrjsonProvider
    from app.mcp.runtime import init_app as init_mcp
    from app.policy.cli import policy_cli
    from blueprints import automation as automation_bp
    from blueprints import mcp as mcp_bp
    from blueprints import metrics as metrics_bp
    from blueprints import oauth as oauth_bp
    from blueprints import status

    settings = load_settings(config)
    app = Flask(__name__)
    app.config.update(SETTINGS=settings, MAX_CONTENT_LENGTH=settings.max_request_bytes)
    app.json = OrjsonProvider(app)  # orjson: tools/list is ~45 KB of JSON per call
    observe = http_metrics.observe_request if settings.metrics_enabled else None
    logging.init_app(app, settings.log_level, settings.secret_detection_mode, observe)
    errors.init_app(app)
    outcomes.init_app(app)
    hosts.init_app(app)  # DNS rebinding: before the rate limits count a request
    shared = store.init_app(app)
    startup.init_app(app, shared)  # policy file, Gitea OIDC, one session secret per Redis: every launcher
    limits.init_app(app)
    cors.init_app(app)  # preflights answered after the Host check and the rate limits
    policies, audit = governance.init_app(app, known_tools=tools.policy_names())
    gitea = tools.build_gitea_client(settings)
    authenticator = auth.init_app(app, gitea, shared, audit)  # API keys; OAuth mode registers its resolvers next
    repository_permission = oauth.init_app(app, shared, gitea, authenticator)
    tool_runtime = tools.init_app(app, gitea, policies, audit, repository_permission, store=shared)
    init_mcp(app, shared, tool_runtime)
    if automation.init_app(app, shared, tool_runtime, audit) is not None:  # off: its endpoints stay 404
        app.register_blueprint(automation_bp.bp)
    app.register_blueprint(status.bp)
    app.register_blueprint(oauth_bp.bp)
    app.register_blueprint(mcp_bp.bp)
    if settings.metrics_enabled:
        app.register_blueprint(metrics_bp.bp)
    app.cli.add_command(policy_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(aegis_cli)
    return app
