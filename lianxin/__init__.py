"""Lianxin shared package: what several services need and nothing more.

Rooms, each named for its role:
store/     storing aggregates safely: engine, lease, aggregate store and its typed face,
           the Mongo client, the in-memory twin for tests
bus/       events on RabbitMQ: envelope, outbox relay, consumers, delays, dead letters,
           the in-memory publisher for tests
http/      the HTTP entrypoint pipeline, its error table, input checks, OpenAPI, health
access/    keys, actors, person tokens, the key ring and the access replicas
contracts/ the event payload schemas producers and consumers share

At the top, what is small and used across rooms: config (settings from the nameko
config), clock, privacy (masking), faults (crash points for tests), instrumentation
(Prometheus), spreadsheets (CSV), egress (where outbound requests may go), backoff (how
long every retry waits).
"""
