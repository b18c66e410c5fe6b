# capsure-mesh: `make run` runs the platform, `make test` runs every test. Both install first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
PYTEST := $(PY) -m pytest

.PHONY: help install generate check-generated compose lint run status logs top add-instance rotate-keys seed \
	remove-instance prometheus bench profile soak test test-unit test-integration test-contract test-e2e clean

help:
	@echo "make run               the whole mesh on SQLite: registry, edge, services + sidecars"
	@echo "make status            instances of the running mesh, with their restarts"
	@echo "make logs SERVICE=nft  follow one service's instances and sidecars (JSON lines), merged"
	@echo "make top               live: every instance's requests/s, errors, p50/p99 and health"
	@echo "make add-instance SERVICE=nft | remove-instance INSTANCE=nft-3   scale it, live"
	@echo "make seed              demo users, NFTs, prices and an alert, into the running mesh"
	@echo "make rotate-keys       new token-signing key for the running mesh (no restart)"
	@echo "make test              the whole test suite"
	@echo "make test-unit|test-integration|test-contract|test-e2e   one level of it"
	@echo "make generate          contracts/ -> generated/; mesh.yaml -> docker-compose.yml, deploy/"
	@echo "make prometheus        Prometheus (127.0.0.1:9090) scraping the running mesh, found via the registry"
	@echo "make check-generated   fail when generated/ is stale; buf lint"
	@echo "make compose           docker-compose.yml + deploy/envoy/ from mesh/mesh.yaml"
	@echo "make bench             mesh benchmarks (figures in bench/results/)"
	@echo "make profile SERVICE=nft   py-spy flame graph + top frames of an app under load (PID=, OPERATION=)"
	@echo "make soak             10 min of mixed traffic through the edge: errors, latency, memory (SOAK_SECONDS=n)"
	@echo "make lint              ruff"

install: $(VENV)/.installed

# uv resolves and installs in seconds; it is itself installed from PyPI into the venv.
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(PY) -e '.[dev]'
	@touch $@

generate: install
	$(PY) -m tools.codegen
	$(PY) -m mesh.compose
	$(PY) -m mesh.prometheus_config

check-generated: install
	buf lint
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PY) -m tools.codegen "$$tmp/generated" && \
	if diff -r -x __pycache__ generated "$$tmp/generated" >"$$tmp/diff"; then \
		echo "generated/ is up to date"; \
	else \
		head -50 "$$tmp/diff"; echo "generated/ is stale: run 'make generate' and commit"; exit 1; \
	fi

compose: install
	$(PY) -m mesh.compose

lint: install
	$(BIN)/ruff check services mesh tests tools bench
	$(BIN)/ruff format --check services mesh tests tools bench

run: install
	$(PY) -m mesh.launcher

status:
	$(PY) -m mesh.ctl status

logs:
	$(PY) -m mesh.ctl logs $(SERVICE)

top:
	$(PY) -m mesh.ctl top

add-instance:
	$(PY) -m mesh.ctl add $(SERVICE)

remove-instance:
	$(PY) -m mesh.ctl remove $(INSTANCE)

seed:
	$(PY) -m tools.seed

# Debian's prometheus package; targets come from the registry (deploy/prometheus/prometheus.yml).
prometheus:
	@command -v prometheus >/dev/null || { echo "prometheus not found: apt-get install prometheus"; exit 1; }
	prometheus --config.file=deploy/prometheus/prometheus.yml --storage.tsdb.path=var/prometheus \
		--web.listen-address=127.0.0.1:9090

rotate-keys:
	USER_DATA_DIR=var/data $(PY) -m services.user.rotate_key

bench: install
	$(PY) -m bench

# py-spy on SERVICE's app under a bench load (or on PID); results in bench/results/profile-*.
PROFILE_SECONDS ?= 15
profile: install
	$(PY) -m bench.profile $(or $(SERVICE),nft) --seconds $(PROFILE_SECONDS) \
		$(if $(OPERATION),--operation $(OPERATION)) $(if $(PID),--pid $(PID)) $(if $(URL),--url $(URL))

SOAK_SECONDS ?= 600
soak: install
	$(PY) -m bench.soak --seconds $(SOAK_SECONDS)

test: install lint
	$(PYTEST) -n 2 --dist loadfile tests

test-unit: install
	$(PYTEST) -m unit tests

test-integration: install
	$(PYTEST) -m integration tests

test-contract: install
	$(PYTEST) -m contract tests

test-e2e: install
	$(PYTEST) -m e2e tests

clean:
	rm -rf var .pytest_cache .ruff_cache
