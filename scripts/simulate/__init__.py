"""A simulator of a community's quarter (`make simulate`, docs/simulator.md).

It starts a stack of its own whose every process reads one scaled clock (LIANXIN_CLOCK,
lianxin/clock.py), imports the sample community (Jingxiang, 井湘社区), and lets its
people act through the public HTTP APIs only, with the keys an operator issues and the
person tokens a volunteer's app holds: residents report by category, hour and channel;
the 12345 hotline sends work orders and receives replies; volunteers accept, decline or
miss offers, resolve and are checked; the mediation desk takes disputes to agreement or
referral; carers tick their care rounds, or miss some; volunteers sign up for
activities and check in, some late; the estate fund's desk records dues and staff let
households in difficulty pay in hours; unit leaders record pact observations, households
answer and staff publish the red/black list; households rate the property company and
staff close its quarter; staff send notices and residents open them. Each capability is
a scenario (scenario.py, scenarios/); at the end each compares its ground truth with the
statistics and the run fails when they disagree.

  timeline.py   the quarter's days and the agenda of timed acts
  stage.py      the stack, the clock, the community and its household register, the keys,
                the receiver of what notify sends (the hotline, the phones' SMS)
  apis.py       the HTTP calls
  people.py     the sample community's people and units
  volumes.py    how much happens, and how people behave (the field's figures)
  statistics.py what the services publish about the quarter
  closing.py    ground truth against statistics, printed and saved
"""
