"""Lianxin shared package: what all four services need and nothing more.

envelope   the event envelope every message carries
config     settings read from the nameko config (YAML with ${ENV:default})
lease      one writer per aggregate, built on unique inserts only
aggregates load / save-with-outbox / publish under a lease
outbox     the in-document outbox and its relay to RabbitMQ
consumer   event handlers that ack after work, retry, and dead-letter
idempotency  remembering which events an aggregate already applied
instrumentation  Prometheus metrics every service exposes
web        JSON HTTP entrypoints with an error table and input guards
faults     named crash points for fault tests
"""
