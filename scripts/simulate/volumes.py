"""How much happens in Jingxiang community (井湘社区) in a quarter, and how people behave:
the figures every scenario draws from. The reasoning is in docs/simulator.md; the field's
figures in FIELD_NOTES (46 residential buildings, 5,926 households, a 7-person repair
crew, red/green/blue vests, the Red Sail desk on Fridays, weekly calls and monthly visits,
28 activities in two years, about 50 disputes in ten months).
"""

from __future__ import annotations

# ~1,500 reports a quarter: about one per four households a year, what a community of
# 5,926 households that collects problems in unit groups, on patrol and at the door sees;
# the 12345 hotline's share (a fifth) arrives as work orders (scenarios/hotline.py)
REPORTS_PER_DAY = 13.0
HOTLINE_ORDERS_PER_DAY = 3.3
# channels other than the hotline, by share of the reports
CHANNELS = {
    "wechat": 0.36,  # the unit leaders' WeChat groups
    "patrol": 0.24,  # grid workers and red vests on their rounds
    "door_knocking": 0.12,
    "walk_in": 0.10,  # at the heart-link station
    "app": 0.10,
    "scan": 0.08,  # the scan-to-report poster in the stairwell
}
# the problems the field notes list, by share (disputes come through the desk's scenario)
CATEGORIES = {
    "facility.lighting": 0.13,
    "facility.household_repair": 0.11,
    "facility.drain_blocked": 0.05,
    "environment.stairwell_clutter": 0.12,
    "environment.litter": 0.10,
    "environment.green_space_encroachment": 0.05,
    "environment.poultry": 0.02,
    "parking.fire_lane": 0.07,
    "parking.zombie_car": 0.03,
    "civility.pets": 0.06,
    "civility.noise": 0.06,
    "civility.thrown_objects": 0.02,
    "security.fraud_sales": 0.02,
    "care.elderly_alone": 0.02,
    "referral.property_title": 0.02,
    "general.other": 0.12,
}
# reports by local hour: mornings and early evenings, little at night
HOURS = {
    0: 0.3, 1: 0.15, 2: 0.1, 3: 0.1, 4: 0.1, 5: 0.2, 6: 0.8, 7: 2.0, 8: 4.0, 9: 5.0,
    10: 5.0, 11: 4.0, 12: 2.5, 13: 2.5, 14: 3.5, 15: 3.5, 16: 3.5, 17: 4.0, 18: 4.5,
    19: 4.5, 20: 3.5, 21: 2.5, 22: 1.2, 23: 0.6,
}  # fmt: skip
WEEKEND_FACTOR = 0.8

# a volunteer offered a case: accepts, declines (busy, wrong skill) or misses it
OFFER_ANSWERS = {"accept": 0.72, "decline": 0.10, "miss": 0.18}
RESOLVE_MEDIAN_HOURS = 5.0  # from acceptance; log-normal, spread RESOLVE_SIGMA
RESOLVE_SIGMA = 0.9
VERIFY_WITHIN_HOURS = (2.0, 30.0)  # staff or a grid worker check the work
RATED_SHARE = 0.55  # residents who rate the result
RATINGS = {5: 0.55, 4: 0.28, 3: 0.1, 2: 0.04, 1: 0.03}

# the Red Sail desk: ~50 disputes in ten months → ~15 a quarter
DISPUTES_PER_QUARTER = 16
DISPUTES = {
    "dispute.neighbour": 0.35,
    "dispute.family": 0.2,
    "dispute.property_management": 0.25,
    "dispute.labour": 0.1,
    "dispute.damages": 0.1,
}
AGREEMENT_SHARE = 0.7  # the rest are referred (people's mediation, court, a department)
FOLLOW_UP_DAYS = 30

# 邻里守望: residents who agreed to be looked after, weekly calls and monthly visits
CARE_WEEKLY_CALLS = 30
CARE_MONTHLY_VISITS = 12
CARE_MISSED_SHARE = 0.06
CARE_NEEDS_HELP_SHARE = 0.04

# 28 activities in two years in a 920-household estate; Jingxiang is six times larger
ACTIVITIES_PER_QUARTER = 6
ACTIVITY_SIGNUP_SHARE = 0.6  # of the volunteers asked
ACTIVITY_NO_SHOW_SHARE = 0.12
ACTIVITY_LATE_SHARE = 0.2  # check in well after the start

# the fund, the pact, the property evaluation and notices draw their days from a quarter's
# (QUARTER_DAYS); a shorter run does the share that falls in its days
QUARTER_DAYS = 92

# the estate fund: "300–800 yuan a year by floor area; households in difficulty may work
# equivalent volunteer hours instead" — 5 yuan a m² puts the register's 45–140 m² at
# 300–700 yuan (the smallest at the floor); an hour of volunteer work counts 20 yuan
FUND_DUES_RATE_FEN_PER_M2 = 500
FUND_HOUR_RATE_FEN = 2_000
FUND_PAYING_SHARE = 0.85  # of the households, in the quarter the fund year's dues fall due
FUND_INSTALMENT_EVERY = 10  # one payer in ten pays in two parts, some days apart
FUND_REVERSED_EVERY = 30  # one entry in thirty is mistyped, reversed and entered again
FUND_HOUSEHOLDS_IN_DIFFICULTY = 8  # volunteers' households approved for paying in hours
FUND_DIFFICULTY_PAYING_SHARE = 0.5  # of them, pay a part in money as well
FUND_DIFFICULTY_PART = 30  # per cent of the dues; the hours pay the rest, as far as they go

# the residents' pact: Yujingwan keeps a red/black list (FIELD_NOTES); Jingxiang's 43 unit
# leaders, its hygiene monitors and civility promoters, record about one observation each
# a quarter, most of them breaches, a few on the same households (repeat clutter)
PACT_OBSERVATIONS_PER_QUARTER = 45
PACT_BREACH_SHARE = 0.7
PACT_REPEAT_SHARE = 0.4  # of the breaches, on a household already seen breaching
PACT_ANSWER_SHARE = 0.4  # the household answers within its window
PACT_UPHELD_SHARE = 0.6  # of the answered ones; the rest are withdrawn
PACT_WITHDRAWN_UNANSWERED_SHARE = 0.1  # staff withdraw one nobody answered
PACT_SURNAME_SHARE = 0.5  # a commended household that answers gives its surname

# the property company's quarterly evaluation ("quarterly evaluation; satisfaction" among
# the measures quoted): about a third of the register's households vote online, a few try
# twice; paper ballots at the station; complaints about the company are the mediation
# desk's property disputes (a quarter of its disputes)
PROPERTY_ONLINE_SHARE = 0.35
PROPERTY_TWICE_EVERY = 30  # one voter in thirty tries a second ballot
PROPERTY_PAPER_BALLOTS = (6, 16)  # per estate, entered once near the quarter's end
# how each estate's residents feel (satisfied, basically satisfied, dissatisfied): the
# second estate's company is the one residents complain about
PROPERTY_MOODS = {
    "jingxiang-e1": {"satisfied": 0.5, "basically_satisfied": 0.3, "dissatisfied": 0.2},
    "jingxiang-e2": {"satisfied": 0.2, "basically_satisfied": 0.25, "dissatisfied": 0.55},
    "jingxiang-e3": {"satisfied": 0.4, "basically_satisfied": 0.35, "dissatisfied": 0.25},
}

# notices (通知): the community tells all its residents something about twice a month
# (water cuts, meetings, the fund's dues), a building more often; a unit leader covers
# 104 households, so SMS reach only the people the roster knows; half open the link
NOTICES_PER_QUARTER = 6
NOTICE_BUILDING_SHARE = 0.66  # the rest go to the whole community
NOTICE_READ_SHARE = 0.5
