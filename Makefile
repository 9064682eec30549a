# Yucai (渝才助手): `make run` starts the assistant, `make test` proves it.
# Every target installs what it needs; nothing has to be set up by hand.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10: take it from PATH, or from pyenv's versions.
PYTHON310 ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10); print(sys.executable)' 2>/dev/null && break; done)
UV_VENV := .venv/uv
UV := $(UV_VENV)/bin/uv
RASA_VENV := .venv/rasa
BACKEND_VENV := .venv/backend
BROWSER_VENV := .venv/browser
AUDIT_VENV := .venv/audit
OPS_VENV := .venv/ops
WEB_BUNDLE := node_modules/rasa-webchat/lib/index.js
CHROMIUM := /usr/bin/chromium
# root installs system packages itself; anyone else goes through sudo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_GET := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
RASA := $(RASA_VENV)/bin/rasa
MODEL := models/yucai.tar.gz
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' -o -name '*.txt' 2>/dev/null) \
	$(wildcard bot/nlu/*.py bot/nlu/jieba_dict/* bot/common/normalise.py bot/common/colloquial.yml)

export TF_INTRA_OP_PARALLELISM_THREADS ?= 1
export TF_INTER_OP_PARALLELISM_THREADS ?= 1
export TF_CPP_MIN_LOG_LEVEL ?= 2
# Serving runs one TensorFlow thread per process (above: requests run side by side);
# training is one job and takes every core (0 = TensorFlow's default). The weights
# come out byte for byte the same either way (docs/performance.md, row 12).
export TRAIN_TF_THREADS ?= 0
RASA_TRAIN := TF_INTRA_OP_PARALLELISM_THREADS=$(TRAIN_TF_THREADS) \
	TF_INTER_OP_PARALLELISM_THREADS=$(TRAIN_TF_THREADS) $(RASA) train
export SANIC_HOST ?= 127.0.0.1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup web browser haproxy promtool ops run run-prod chat lint audit test test-unit test-backend \
	test-rasa test-e2e test-browser test-deploy test-prod soak train validate clean eval \
	nlu-from-knowledge kb-report eval-ours bench

help:
	@echo "make run    set up, train if needed, start backend + actions + Rasa (Ctrl-C stops)"
	@echo "make chat   the same, with a chat in this terminal"
	@echo "make run-prod  the production topology: HAProxy, Rasa x2, actions x2, backend x2 workers"
	@echo "            on PostgreSQL, Redis and RabbitMQ at 127.0.0.1 (public: http://127.0.0.1:8080/chat)"
	@echo "make test   set up, train once, run every test layer"
	@echo "            (single layers: lint validate test-unit test-backend test-rasa test-e2e test-browser"
	@echo "             test-deploy test-prod)"
	@echo "make soak   the production topology under a long locust run and the fault tests (bounded: 40 min)"
	@echo "make bench  Yucai (make run and run-prod) against stock Rasa and an echo server, one run:"
	@echo "            table + JSON + plot in var/bench/latest (≤ 25 min; BENCH_QUICK=1: about 5)"
	@echo "make eval   held-out topic accuracy of our pipeline beside the baseline (var/eval)"
	@echo "            (make eval-ours: our model alone)"
	@echo "make kb-report  knowledge entries not checked against their source in 180 days"

$(UV):
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (PATH or ~/.pyenv/versions)"; exit 1; }
	python3 -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(RASA_VENV)/.synced: requirements/rasa.lock | $(UV)
	$(UV) venv --allow-existing --quiet -p $(PYTHON310) $(RASA_VENV)
	VIRTUAL_ENV=$(RASA_VENV) $(UV) pip sync --quiet requirements/rasa.lock
	touch $@

$(BACKEND_VENV)/.synced: requirements/backend.lock | $(UV)
	$(UV) venv --allow-existing --quiet -p $(PYTHON310) $(BACKEND_VENV)
	VIRTUAL_ENV=$(BACKEND_VENV) $(UV) pip sync --quiet requirements/backend.lock
	touch $@

setup: $(RASA_VENV)/.synced $(BACKEND_VENV)/.synced

# The chat widget (rasa-webchat 1.0.1, pinned by package-lock.json); the Rasa
# server serves its prebuilt bundle at /chat, so no build step and no CDN.
$(WEB_BUNDLE): package.json package-lock.json
	command -v npm >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq nodejs npm; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

web: $(WEB_BUNDLE)

# Browser tests: Debian's Chromium and CJK fonts (never a downloaded browser),
# Playwright from PyPI in its own small environment.
$(BROWSER_VENV)/.synced: requirements/browser.lock | $(UV)
	$(UV) venv --allow-existing --quiet -p $(PYTHON310) $(BROWSER_VENV)
	VIRTUAL_ENV=$(BROWSER_VENV) $(UV) pip sync --quiet requirements/browser.lock
	touch $@

browser: $(BROWSER_VENV)/.synced
	@if [ ! -x $(CHROMIUM) ] || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq chromium fonts-noto-cjk; fi

# Operations tooling in its own environment: kubernetes-validate and locust.
$(OPS_VENV)/.synced: requirements/ops.lock | $(UV)
	$(UV) venv --allow-existing --quiet -p $(PYTHON310) $(OPS_VENV)
	VIRTUAL_ENV=$(OPS_VENV) $(UV) pip sync --quiet requirements/ops.lock
	touch $@

ops: $(OPS_VENV)/.synced

# The production topology's load balancer: Debian's HAProxy (2.6).
haproxy:
	@command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq haproxy; }

# promtool checks the sample Prometheus config and alert rules (deploy/prometheus):
# Debian's prometheus package (the server's service is not started without systemd).
promtool:
	@command -v promtool >/dev/null || { \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq --no-install-recommends prometheus; }

# Retrain only when the training inputs changed.
# --augmentation 0: Rasa's default (50) glues the stories into 500 extra trackers
# that only TED trains on (Memoization and RulePolicy skip them); the same NLU
# model and test results, ~13 s less work (docs/performance.md, row 7)
$(MODEL): $(TRAINING_INPUTS) | $(RASA_VENV)/.synced
	$(RASA_TRAIN) --fixed-model-name yucai --out models --quiet --augmentation 0
	touch $@

train: $(MODEL)

run: setup web $(MODEL)
	$(RASA_VENV)/bin/python -m bot.launcher --model $(MODEL)

# Two of everything on PostgreSQL, Redis and RabbitMQ behind HAProxy (bot/topology.py).
run-prod: setup web haproxy $(MODEL)
	$(RASA_VENV)/bin/python -m bot.topology --model $(MODEL)

chat: setup $(MODEL)
	$(RASA_VENV)/bin/python -m bot.launcher --model $(MODEL) --shell

# ruff; the import contracts of pyproject.toml (which package may import which);
# mypy in each environment on the code that runs there.
lint: setup
	$(RASA_VENV)/bin/ruff check actions bot tests
	$(RASA_VENV)/bin/ruff format --check actions bot tests
	$(RASA_VENV)/bin/lint-imports
	$(RASA_VENV)/bin/mypy --cache-dir .mypy_cache/rasa \
		actions bot/channels bot/nlu bot/knowledge bot/common bot/launcher.py bot/rasa_server.py \
		bot/serving bot/topology.py bot/bench
	$(BACKEND_VENV)/bin/mypy --cache-dir .mypy_cache/backend \
		bot/backend bot/console bot/common bot/server.py

# Known vulnerabilities in both lock files (pip-audit, OSV), minus the commented
# allow-list. Where the vulnerability database cannot be reached (this workplace and
# its CI reach only the package registries) the audit says so and is skipped.
$(AUDIT_VENV)/.synced: requirements/audit.lock | $(UV)
	$(UV) venv --allow-existing --quiet -p $(PYTHON310) $(AUDIT_VENV)
	VIRTUAL_ENV=$(AUDIT_VENV) $(UV) pip sync --quiet requirements/audit.lock
	touch $@

OSV_HOST := api.osv.dev
AUDIT_IGNORES = $(shell grep -v '^\s*\#' requirements/audit-allow.txt | grep -v '^\s*$$' | sed 's/^/--ignore-vuln /')

audit: $(AUDIT_VENV)/.synced
	@if ! $(AUDIT_VENV)/bin/python -c 'import socket; socket.create_connection(("$(OSV_HOST)", 443), timeout=8).close()' 2>/dev/null; then \
		echo "audit: SKIPPED - the vulnerability database (https://$(OSV_HOST)) is unreachable from here"; \
	else \
		$(AUDIT_VENV)/bin/pip-audit --vulnerability-service osv --no-deps --disable-pip \
			--progress-spinner off $(AUDIT_IGNORES) \
			-r requirements/rasa.lock -r requirements/backend.lock -r requirements/browser.lock; \
	fi

validate: setup
	$(RASA) data validate --quiet

test-unit: setup
	$(RASA_VENV)/bin/python -m pytest tests/common tests/knowledge tests/actions tests/nlu tests/channels tests/serving \
		tests/architecture tests/bench -q

test-backend: setup
	$(BACKEND_VENV)/bin/python -m pytest tests/backend tests/console -q

test-rasa: setup $(MODEL)
	$(RASA) test core --e2e --model $(MODEL) --stories tests/conversations --fail-on-prediction-errors --out var/test-results --quiet

test-e2e: setup $(MODEL)
	$(RASA_VENV)/bin/python -m pytest tests/e2e -q

# The knowledge base's question forms, as NLU examples of their topic's intent.
nlu-from-knowledge: setup
	$(RASA_VENV)/bin/python -m bot.knowledge.export_nlu

# Knowledge entries not checked against their source in 180 days (exit 1 if any).
kb-report: setup
	$(RASA_VENV)/bin/python -m bot.knowledge.report

BASELINE_MODEL := var/eval/models/baseline.tar.gz
$(BASELINE_MODEL): bot/nlu/baseline.yml $(TRAINING_INPUTS) | $(RASA_VENV)/.synced
	$(RASA_TRAIN) nlu --config bot/nlu/baseline.yml --nlu data/nlu --out var/eval/models \
		--fixed-model-name baseline --quiet
	touch $@

# Held-out topic accuracy, macro-F1, per-topic scores, confusion matrices and the
# misclassified examples, for our pipeline and the baseline side by side.
eval: setup $(MODEL) $(BASELINE_MODEL)
	$(RASA_VENV)/bin/python -m bot.nlu.evaluate --model ours=$(MODEL) --model baseline=$(BASELINE_MODEL)

# The same report for our model alone (no baseline to train: a minute, not twenty).
eval-ours: setup $(MODEL)
	$(RASA_VENV)/bin/python -m bot.nlu.evaluate --model ours=$(MODEL)

test-browser: setup web browser $(MODEL)
	$(BROWSER_VENV)/bin/python -m pytest tests/browser -q

# The cluster manifests, the HAProxy config and the Prometheus config and alerts, offline.
test-deploy: ops haproxy promtool
	$(OPS_VENV)/bin/python -m pytest tests/deploy -q

# The production topology (make run-prod) under faults and a 30-second locust smoke,
# on the PostgreSQL, Redis and RabbitMQ of this machine (fresh databases per run).
test-prod: setup ops haproxy $(MODEL)
	$(RASA_VENV)/bin/python -m pytest tests/prod -q

# The same, with a 10-minute load of 10 users (p50/p95/p99, errors, RSS growth in
# var/test-results/prod/load/report.txt); bounded to 40 minutes in all.
soak: setup ops haproxy $(MODEL)
	YUCAI_LOAD_SECONDS=$${YUCAI_LOAD_SECONDS:-600} YUCAI_LOAD_USERS=$${YUCAI_LOAD_USERS:-10} \
		timeout 2400 $(RASA_VENV)/bin/python -m pytest tests/prod -q -s

# Performance against stock Rasa in one run (bot/bench; README "Performance"): not part of
# make test. Bounded: the harness keeps a 22-minute budget; timeout stops it at 23 minutes
# (SIGTERM: it stops its servers and writes what it measured) and kills it 90 s later.
BENCH_TIMEOUT ?= 1380
bench: setup web haproxy $(MODEL)
	timeout --signal=TERM --kill-after=90 $(BENCH_TIMEOUT) $(RASA_VENV)/bin/python -m bot.bench

test: lint audit validate test-unit test-backend test-rasa test-e2e test-browser test-deploy test-prod

clean:
	rm -rf models var/test-results .pytest_cache
