"""Reports as a 12345 hotline integration, a resident app and unit WeChat groups send them.

Every report is one of the problems the field notes list, told in the words a
resident would use (the keywords the taxonomy triages on come up naturally), in
a building of the sample community `jingxiang` and so in one of its three grids.
Every report carries an `Idempotency-Key`: a hotline work-order number (工单号),
or the app's / the WeChat bridge's request id.

Disputes are left out on purpose: the mediation desk (红帆驿站) keeps office hours
(Fridays), so outside them those cases are escalated, not dispatched, and the
bench measures report → dispatched.

A city's hotline serves many communities. The bench imports copies of the sample
(`communities`: jingxiang, jingxiang2, …, see scripts/bench/harness.py) and spreads
the reports over them: at tens of reports a second into one community of 46
buildings, a third of them would repeat an open report at the same place within
seconds and be merged into it, which no community sees.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random
from typing import Any

COMMUNITY = "jingxiang"
# buildings 1–16, 17–32 and 33–46 make the community's three grids (areas.csv)
GRIDS = {
    "g1": range(1, 17),
    "g2": range(17, 33),
    "g3": range(33, 47),
}
BUILDING_GRID = {building: grid for grid, buildings in GRIDS.items() for building in buildings}


def community_ids(count: int) -> list[str]:
    """The sample and its copies: jingxiang, jingxiang2, jingxiang3, …"""
    return [COMMUNITY, *(f"{COMMUNITY}{n}" for n in range(2, count + 1))]


# (category the taxonomy should triage it to, relative frequency, ways residents say it)
PROBLEMS: list[tuple[str, int, list[str]]] = [
    (
        "facility.lighting",
        16,
        [
            "{b}栋{u}单元{f}楼楼道灯坏了好几天，晚上黑漆漆的，上了年纪的住户上下楼很不安全",
            "{b}栋门口的路灯一到晚上就一闪一闪的，麻烦派人看看",
            "{b}栋{u}单元感应灯不亮了，拍手跺脚都没反应",
        ],
    ),
    (
        "facility.household_repair",
        12,
        [
            "{b}栋{u}单元{room}室厨房水管漏水，楼底下人家天花板都湿了，请师傅上门维修",
            "{b}栋{u}单元{room}室卫生间漏水，家里只有老两口，请维修队帮忙看一下",
        ],
    ),
    (
        "facility.drain_blocked",
        6,
        [
            "{b}栋门前下水道堵了，污水漫到路面上，味道很大",
            "{b}栋{u}单元一楼地漏反水，化粪池好像满了",
        ],
    ),
    (
        "environment.stairwell_clutter",
        12,
        [
            "{b}栋{u}单元楼道堆放了大量纸箱和旧家具，安全出口都快堵死了",
            "{b}栋{u}单元{f}楼有住户在楼道堆物，电动车也推进来充电，很危险",
        ],
    ),
    (
        "environment.green_space_encroachment",
        5,
        [
            "{b}栋旁边的公共绿地被人挖开种菜，还浇粪水，气味难闻",
            "{b}栋后面草坪又有人种菜了，之前退菜复绿的地方又被占了",
        ],
    ),
    (
        "environment.poultry",
        3,
        ["{b}栋楼下有人散养鸡鸭，一早就叫，地上到处是鸡屎"],
    ),
    (
        "environment.litter",
        12,
        [
            "{b}栋{u}单元门口垃圾乱扔，好几天没人清理，招了很多苍蝇",
            "{b}栋和{b2}栋之间的空地有人乱丢建筑垃圾",
        ],
    ),
    (
        "parking.fire_lane",
        8,
        [
            "{b}栋消防通道被一辆白色小车长期占用，消防车根本进不来",
            "{b}栋门口消防通道上停了三四辆车，打电话也不挪",
        ],
    ),
    (
        "parking.zombie_car",
        3,
        ["{b}栋后面停了一辆僵尸车，落满灰尘，轮胎都瘪了，一年多没动过"],
    ),
    (
        "civility.pets",
        7,
        [
            "{b}栋有住户遛狗不牵绳，小孩被吓哭了",
            "{b}栋{u}单元的大狗没拴绳也不戴嘴套，在电梯里冲人叫",
        ],
    ),
    (
        "civility.thrown_objects",
        4,
        ["{b}栋{u}单元有人高空抛物，刚才一个花盆掉下来，差点砸到人"],
    ),
    (
        "security.fraud_sales",
        4,
        ["小区{b}栋旁边有人摆摊推销保健品，专门拉着退休的大爷大妈买，说能包治百病"],
    ),
    (
        "care.elderly_alone",
        5,
        [
            "{b}栋{u}单元{room}室住着一位独居老人，这几天没见出门，电话也没人接",
            "{b}栋{u}单元的独居老人腿脚不便，家里没人照顾，希望有志愿者上门看看",
        ],
    ),
    (
        "general.other",
        3,
        ["{b}栋门口的公告栏被风吹倒了，挡在路中间", "{b}栋单元门的门禁坏了，谁都能进"],
    ),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = [
    "建国",
    "秀英",
    "桂兰",
    "志强",
    "丽华",
    "伟",
    "芳",
    "娟",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "军",
    "杰",
    "娜",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "玉兰",
    "德明",
    "春花",
    "大爷",
    "奶奶",
    "阿姨",
    "师傅",
    "女士",
    "先生",
]
MOBILE_PREFIXES = [
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "158",
    "159",
    "177",
    "180",
    "186",
    "187",
    "188",
    "189",
    "199",
]
CHANNELS = [("hotline", 50), ("app", 25), ("wechat", 25)]


@dataclass(frozen=True)
class Report:
    key: str  # the Idempotency-Key: work-order number or request id
    channel: str
    category: str  # what triage should make of it
    body: dict[str, Any]


class Workload:
    """Thread-safe source of distinct, realistic reports; the same seed gives the same stream."""

    def __init__(
        self, seed: int = 12345, tag: str | None = None, communities: tuple[str, ...] = (COMMUNITY,)
    ):
        self._random = Random(seed)
        self._lock = threading.Lock()
        self._sequence = 0
        self._tag = tag or uuid.uuid4().hex[:6].upper()
        self._communities = communities
        self._day = datetime.now(UTC).strftime("%Y%m%d")
        self._problems = [(code, templates) for code, _, templates in PROBLEMS]
        self._problem_weights = [weight for _, weight, _ in PROBLEMS]

    def next(self) -> Report:
        with self._lock:
            self._sequence += 1
            return self._make(self._sequence, self._random)

    def _make(self, sequence: int, rng: Random) -> Report:
        community = rng.choice(self._communities) if len(self._communities) > 1 else COMMUNITY
        channel = rng.choices([name for name, _ in CHANNELS], [w for _, w in CHANNELS])[0]
        category, templates = rng.choices(self._problems, self._problem_weights)[0]
        building = rng.randint(1, 46)
        unit = rng.randint(1, 4)
        floor = rng.randint(1, 18)
        text = rng.choice(templates).format(
            b=building,
            b2=min(building + 1, 46),
            u=unit,
            f=floor,
            room=f"{floor}0{rng.randint(1, 4)}",
        )
        location: dict[str, Any] = {
            "grid_id": f"{community}-{BUILDING_GRID[building]}",
            "building": str(building),
            "unit": str(unit),
            "address": f"雨花区井湘社区{building}栋{unit}单元",
        }
        reporter: dict[str, Any] = {"name": rng.choice(SURNAMES) + rng.choice(GIVEN)}
        if channel != "wechat" or rng.random() < 0.3:  # group members often leave no number
            reporter["phone"] = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if channel == "hotline":
            key = f"12345-GD{self._day}{self._tag}{sequence:07d}"  # the hotline's work-order no.
            description = f"市民来电反映：{text}。请社区尽快核实处理并回复。"
        elif channel == "app":
            key = f"app-{uuid.UUID(int=rng.getrandbits(128))}"
            description = text
        else:
            key = f"wx-{self._tag}-{sequence:07d}"
            description = f"【{building}栋{unit}单元业主群】{text}"
        body: dict[str, Any] = {
            "description": description,
            "community_id": community,
            "channel": channel,
            "location": location,
            "reporter": reporter,
        }
        if channel == "app" and rng.random() < 0.3:  # the app lets residents pick a category
            body["category"] = category
        return Report(key, channel, category, body)
