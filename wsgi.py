"""What gunicorn, the Procfile and `flask --app wsgi` load: `gunicorn -c ops/gunicorn.conf.py wsgi:app`.

A bad configuration stops any launcher here with the same message gunicorn's master prints."""

import sys

from app import create_app
from app.config import SettingsError
from app.startup import refusal

try:
    app = create_app()
except SettingsError as exc:
    sys.stderr.write(refusal(exc))
    raise SystemExit(1) from None
