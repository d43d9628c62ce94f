"""The event contracts: each event's payload schema, declared once.

Producer and consumers import an event's schema from here, so that what one service emits
is what the others read, and a contract test can prove it. (Filled by issue 16's event
contract work; until then the schemas live beside the services that emit them.)
"""
