"""The business gauges: the stored aggregates and the dead-letter queues, read by a
timer and shown to Prometheus (collector.py refreshes, families.py renders,
dead_letters.py reads the broker)."""
