"""notify's use cases: plain functions taking the repository (store.py), the reference
data built once (compose.Outbound) and the clock. reactions.py turns events into
deliveries, pipeline.py sends them (digests.py bundles bursts), deliveries.py is what
the API reads, alerts.py takes Alertmanager's alerts, action_links.py acts on a link,
sign_in_codes.py texts the console's sign-in codes, replicas.py and follows.py keep what
notify must know of people, places and cases."""
