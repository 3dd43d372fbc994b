"""Bench only: the real app with Flask-Limiter's hooks removed, to show the middleware stack's own cost
(request id, JSON access log, metrics, error handling) apart from the rate limiter's."""

from app import create_app

app = create_app()
app.before_request_funcs[None] = [f for f in app.before_request_funcs[None] if "Limiter" not in f.__qualname__]
app.after_request_funcs[None] = [f for f in app.after_request_funcs[None] if "Limiter" not in repr(f)]
app.teardown_request_funcs[None] = [f for f in app.teardown_request_funcs[None] if "Limiter" not in repr(f)]
