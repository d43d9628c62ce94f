"""`make bench`: the pipeline under a hotline-like load, beside a bare nameko chain.

Run as `python -m scripts.bench` (see `--help`). It starts its own isolated stack
(own RabbitMQ vhost, own database prefix, free ports), a webhook receiver and an
event probe of its own, and prints throughput, latency percentiles, CPU-seconds
per case for every process, the ratio against a bare nameko chain with the same
hop count measured in the same run, and the by-`_id` cost at two collection
sizes. It writes the figures to a JSON result file.

Modules: `workload` (the reports), `load` (the client, the drivers, the tracker),
`observe` (event probe, webhook receiver, queue depths, service counters),
`harness` (isolation and the stack), `chain` (the bare nameko chain), `cpu`
(per-process CPU from /proc), `store` (by-`_id` cost), `report` (table and JSON).

This package's `__init__` stays free of imports: the bare chain's nameko
processes import `scripts.bench.chain` and should load nothing else.
"""
