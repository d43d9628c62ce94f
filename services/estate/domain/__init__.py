"""Estate's rules in plain Python: the household register (households.py) and the
estate fund paid in hours (fund.py). No nameko, no pymongo."""
