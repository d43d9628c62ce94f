"""notify's rules, plain Python (no nameko, no pymongo, no I/O): a delivery's life
(delivery.py), who is told over which channels (plans.py) and what an address on each
channel looks like (addresses.py), a person's quiet hours and rate limit (people.py),
the routes file's groups, robots and hotlines (routes.py), what a message says
(facts.py, messages.py), action links (links.py), signatures and redaction."""
