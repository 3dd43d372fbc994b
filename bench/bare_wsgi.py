"""The baseline for bench_foundation: a bare Flask app with the same /health body, no middleware."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/health")
def health():  # type: ignore[no-untyped-def]
    return jsonify(status="healthy")
