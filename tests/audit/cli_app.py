"""A minimal Flask app carrying the audit command, so the CLI is tested without the full service."""

from flask import Flask

from app.audit.cli import audit_cli

app = Flask(__name__)
app.cli.add_command(audit_cli)
