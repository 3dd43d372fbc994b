"""A minimal Flask app carrying the policy command, so the CLI is tested without Gitea."""

from flask import Flask

from app.policy.cli import policy_cli

app = Flask(__name__)
app.cli.add_command(policy_cli)
