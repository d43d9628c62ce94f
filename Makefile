# Lianxin — every target installs what it needs and is quick when already done.
#   make run    infrastructure, the four services, and a demo case end to end
#   make test   unit, integration and end-to-end tests against real RabbitMQ and FerretDB
#   make bench  throughput, latency and CPU per case under a hotline-like load
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv infra infra-stop run up stop test test-unit bench lint clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check "pip==24.3.1"
	@$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

infra:
	@deploy/local/infra.sh start

infra-stop: stop
	@deploy/local/infra.sh stop

# supervisord (one per state directory, here var/) runs the services and the webhook sink;
# `make up REPLICAS=2` runs two processes of every service on the same queues.
up: venv infra
	@$(BIN)/python -m scripts.stack up $(if $(REPLICAS),--replicas $(REPLICAS))

run: up
	@$(BIN)/python -m scripts.demo

stop:
	@test ! -x $(BIN)/python || { $(MAKE) -s --no-print-directory venv && $(BIN)/python -m scripts.stack down; }

test: venv infra
	@$(BIN)/python -m pytest

test-unit: venv
	@$(BIN)/python -m pytest -m "not integration and not e2e"

# A benchmark, not a test: its own isolated stack under load, about 2–4 minutes; figures to
# stdout and var/bench/result-<timestamp>.json. Options: make bench BENCH_ARGS="--duration 60"
bench: venv infra
	@$(BIN)/python -m scripts.bench $(BENCH_ARGS)

lint: venv
	@$(BIN)/ruff check .
	@deploy/check-compose.sh

clean: stop  # the stack's files; FerretDB's pid and log stay for `make infra-stop`
	rm -f var/run/supervisord.* var/run/*.env \
	      var/log/supervisord.log* var/log/*-[0-9].log* var/log/webhook-sink.log*
