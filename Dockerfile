# AegisGitea MCP image: dependencies built in one stage, a slim non-root runtime in the other.
#   docker build -t aegis-gitea-mcp .
#   docker compose -f ops/docker-compose.yml --profile prod up -d   (see docs/Deployment.md)
#   docker run --rm aegis-gitea-mcp python -m app --help             (the aegis-mcp commands)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    NODE_ENV=production \
    AEGIS_ENV_FILE=/dev/null \
    MCP_PORT=8080 \
    AUDIT_LOG_PATH=/var/log/aegis-mcp/audit.log \
    DCR_STORAGE_PATH=/var/lib/aegis-mcp/dcr_clients.json
RUN groupadd --system --gid 10001 aegis \
    && useradd --system --uid 10001 --gid aegis --home-dir /app --shell /usr/sbin/nologin aegis \
    && install -d -o aegis -g aegis -m 0750 /var/log/aegis-mcp /var/lib/aegis-mcp
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Only what the service runs: no tests, emulator, benchmarks or docs.
COPY --chown=root:root wsgi.py ./
COPY --chown=root:root app ./app
COPY --chown=root:root blueprints ./blueprints
COPY --chown=root:root schemas ./schemas
COPY --chown=root:root scripts/validate_audit_log.py scripts/generate_api_key.py ./scripts/
COPY --chown=root:root ops/gunicorn.conf.py ./ops/gunicorn.conf.py
USER 10001:10001
EXPOSE 8080
VOLUME ["/var/log/aegis-mcp", "/var/lib/aegis-mcp"]
# Liveness only (no upstream call); /ready is for the proxy or orchestrator to decide on traffic.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('MCP_PORT', '8080'), timeout=4)"]
CMD ["gunicorn", "-c", "ops/gunicorn.conf.py", "wsgi:app"]
