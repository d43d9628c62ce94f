# Lianxin — every target installs what it needs and is quick when already done.
#   make run    infrastructure, the four services, and a demo case end to end
#   make test   unit, integration and end-to-end tests against real RabbitMQ and FerretDB
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv infra infra-stop run up stop test test-unit lint clean

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

up: venv infra
	@$(BIN)/python -m scripts.stack up

run: up
	@$(BIN)/python -m scripts.demo

stop:
	@test ! -x $(BIN)/python || $(BIN)/python -m scripts.stack down

test: venv infra
	@$(BIN)/python -m pytest

test-unit: venv
	@$(BIN)/python -m pytest -m "not integration and not e2e"

lint: venv
	@$(BIN)/ruff check .
	@deploy/check-compose.sh

clean: stop
	rm -rf var/log var/run
