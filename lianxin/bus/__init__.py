"""Events on RabbitMQ, end to end (docs/architecture.md rules 1, 3, 5, 7).

The envelope every event carries, publishing with confirms, the outbox relay, consumers
that ack after work and retry or park, the per-service delay tiers, deadlines that travel
them, dead letters and their replay, the topology a deploy declares, and what counts as
an outage to wait out rather than a failure to count.
"""
