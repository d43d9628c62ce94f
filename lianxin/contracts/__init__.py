"""The event contracts: each event's payload schema, declared once, by the service that
publishes it.

contract.py  how a contract is declared (Payload, Contract), emitted (`new_event`) and
             read (Reading: what a consumer needs of it; Reader: all it reads)
cases.py     what cases publishes: the case events, hotline.reply, apikey.changed
roster.py    what roster publishes: offers, escalations, areas, people, hours, duty
notify.py    what notify publishes: each delivery's outcome
estate.py    what estate publishes: the estate fund's payments and statements

Producers emit through their contract and consumers read through it (each service's
`events.py` names what it emits and reads), so what one service emits is what the others
read; tests/contracts prove it, and that docs/events.md says the same.
"""
