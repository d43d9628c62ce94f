"""The admin CLI's reading of a service's nameko config (lianxin.config.service_config):
`${ENV:default}` resolved as nameko does, without changing how the rest of the process
reads YAML."""

from __future__ import annotations

import yaml

from lianxin.config import service_config


def test_a_services_config_resolves_its_environment_variables(monkeypatch):
    monkeypatch.setenv("AMQP_URI", "amqp://someone:secret@127.0.0.1:5672/lianxin")
    assert service_config("cases")["AMQP_URI"] == "amqp://someone:secret@127.0.0.1:5672/lianxin"


def test_reading_a_services_config_leaves_every_other_yaml_reading_as_it_was(monkeypatch):
    monkeypatch.setenv("SOME_PASSWORD", "not-this")
    service_config("cases")
    compose_line = "AMQP_URI: amqp://lianxin-cases:${SOME_PASSWORD:-}@rabbitmq:5672/"
    assert yaml.safe_load(compose_line) == {
        "AMQP_URI": "amqp://lianxin-cases:${SOME_PASSWORD:-}@rabbitmq:5672/"
    }
