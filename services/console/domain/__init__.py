"""The console's rules in plain Python: sign-in codes, sessions, CSRF, rate limits, who may
sign in and what they see, the labels of the two languages. No nameko, no pymongo, no I/O."""
