"""What gunicorn loads in these tests: wsgi:app with the limits wired in (until create_app does it)."""

from app import create_app, limits

app = create_app()
if limits.EXTENSION not in app.extensions:
    limits.init_app(app)
