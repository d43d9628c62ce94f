"""Who may do what: API keys, the person acting, and the replicas they are judged by.

Actors and their scopes, keys as issued and stored, signed person tokens, the key ring
that verifies a request's credentials, the access replicas every service keeps of keys
and of people, and the rules by which a credential naming a person still stands.
"""
