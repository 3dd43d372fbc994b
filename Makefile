# AegisGitea MCP. `make demo` and `make test` do all the set-up on a fresh Debian machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install install-dev system-deps clients peer run demo test lint generate-key bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed        ## runtime dependencies in .venv

install-dev: $(VENV)/.installed-dev  ## runtime + test/lint dependencies in .venv

system-deps:  ## Debian packages the tests start for real: git, Redis, nginx, chromium (consent page), wrk (bench)
	@missing=""; \
	for pair in git:git redis-server:redis-server nginx:nginx chromium:chromium openssl:openssl wrk:wrk; do \
	  cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || [ -x /usr/sbin/$$cmd ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# The peer bench/bench_peer.py compares us with: its own venv, because its pins clash with ours.
PEER_VENV := .venv-peer
PEER_VERSION := 0.5.1

$(PEER_VENV)/.installed-$(PEER_VERSION):
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install -q gitea-mcp==$(PEER_VERSION)
	touch $@

peer: $(PEER_VENV)/.installed-$(PEER_VERSION)  ## gitea-mcp $(PEER_VERSION) from PyPI in .venv-peer (bench_peer's peer)

clients:  ## MCP clients the tests drive: mcp 1.x venv, Node 22, Inspector CLI, conformance suite
	bash tests/clients/setup_clients.sh

run: install  ## the service with settings from .env
	$(BIN)/gunicorn -c ops/gunicorn.conf.py wsgi:app

demo: install-dev system-deps  ## the service against the bundled Gitea emulator with demo data
	$(BIN)/python scripts/demo.py

lint: install-dev  ## ruff, mypy and hadolint (the Dockerfile)
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/mypy app blueprints schemas wsgi.py

test: install-dev system-deps clients peer lint  ## everything the tests need, then lint and the whole suite
	$(BIN)/pytest

generate-key: install  ## print a new API key for MCP_API_KEYS
	$(BIN)/python -m app generate-key

bench: install-dev system-deps clients peer  ## the benchmarks (tokens and results count with Node's gpt-tokenizer)
	$(BIN)/python bench/run_all.py

soak: install-dev system-deps  ## 50,000 mixed tool calls at 16 clients on 2 workers + Redis, <= 10 min (not in make test)
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) $(PEER_VENV) .venv-mcp1 tests/clients/node_modules .pytest_cache .mypy_cache .ruff_cache
