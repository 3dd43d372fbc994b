"""What gunicorn and the Procfile load: `gunicorn -c ops/gunicorn.conf.py wsgi:app`."""

from app import create_app

app = create_app()
