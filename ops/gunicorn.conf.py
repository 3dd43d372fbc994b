"""gunicorn settings for AegisGitea MCP: `gunicorn -c ops/gunicorn.conf.py wsgi:app`.

The settings and hooks live in app/gunicorn_config.py, which `aegis-mcp serve` uses too; any
configuration problem stops the server here, before a worker starts, with every problem listed.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.gunicorn_config import gunicorn_settings

globals().update(gunicorn_settings())
