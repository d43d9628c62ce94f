"""The statistics page in a real browser: every chart's numbers (read from the ECharts
instance itself) and every table's are the metrics API's for the same period; the
evaluation shows its formula and the red/black list; a grid worker reads only their grid,
and nobody reads another community's figures; the page speaks English too and fits a phone.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests
from playwright.sync_api import Page, expect
from pymongo import MongoClient

from lianxin.quarters import Quarter
from services.console.compose import load_labels
from services.console.domain.stats import channel_names
from tests.conftest import RUN_ID
from tests.e2e.conftest import admin_cli, helper_headers
from tests.e2e.console.browser import (
    COMMUNITY,
    GRID_WORKER,
    SCREENSHOTS,
    STAFF,
    report,
    signed_in,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

GRID = "jingxiang-g1"  # GRID_WORKER's only grid
CHANNEL_NAMES = channel_names(lambda key: load_labels().text(key, "zh"))  # as the board's
# what stats.js drew: each chart's categories and series, from its ECharts instance
DRAWN = """ids => ids.map(id => {
  const option = echarts.getInstanceByDom(document.getElementById(id)).getOption();
  return {id, categories: option.xAxis[0].data,
          series: option.series.map(s => ({name: s.name, data: s.data}))};
})"""
# each table's rows: the row's key (a day, a grid's or a category's code), then each
# cell's number as metrics answered it
TABLE = """table => [...table.tBodies[0].rows].map(row =>
  [row.cells[0].dataset.key,
   ...[...row.cells].slice(1).map(cell => JSON.parse(cell.dataset.value))])"""


def metrics(stack, report_name: str, **query) -> dict:
    answer = requests.get(
        f"{stack.url('metrics')}/v1/stats/{report_name}",
        params={"community_id": COMMUNITY, **query},
        headers=helper_headers(stack),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def category_names(stack) -> dict[str, str]:
    answer = requests.get(
        f"{stack.url('cases')}/v1/categories", headers=helper_headers(stack), timeout=10
    )
    assert answer.status_code == 200, answer.text
    return {category["code"]: category["name"]["zh"] for category in answer.json()["categories"]}


def hotline_report(stack, description: str) -> dict:
    """A 12345 order, as the hotline's connector files it (the helper key is bound to one)."""
    answer = requests.post(
        f"{stack.url('cases')}/v1/cases",
        json={"description": description, "community_id": COMMUNITY, "channel": "hotline",
              "location": {"grid_id": GRID}},
        headers=helper_headers(stack),
        timeout=10,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return answer.json()


def counted_period(stack) -> tuple[dict[str, str], int]:
    """The last seven days in the community's zone, and how many cases metrics has
    counted in them so far."""
    today = date.fromisoformat(metrics(stack, "summary")["to"])
    period = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}
    before = metrics(stack, "summary", **period)["collected"]
    return period, before


def wait_counted(stack, period: dict[str, str], at_least: int) -> dict:
    """The period's summary once metrics has counted `at_least` cases (it folds events in
    batches)."""
    return wait_until(
        f"metrics to count {at_least} cases",
        lambda: (s := metrics(stack, "summary", **period))["collected"] >= at_least and s,
        timeout=30,
    )


def rendered(page: Page, chart_ids: list[str]) -> None:
    for chart_id in chart_ids:
        expect(page.locator(f"#{chart_id}")).to_have_attribute("data-rendered", "true")


# every Content-Security-Policy violation a document meets (an inline script or style,
# eval): the charts must draw within the console's policy
WATCH_CSP = """window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
  event => window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`));"""


def test_every_chart_and_table_shows_the_metrics_apis_numbers(page, console, sms, console_stack):
    period, before = counted_period(console_stack)
    report(console_stack, "统计用：楼道堆物 stats one", grid="jingxiang-g2")
    report(console_stack, "统计用：路灯不亮 stats two", grid="jingxiang-g3")
    hotline_report(console_stack, "12345转来：噪音扰民 stats hotline")
    summary = wait_counted(console_stack, period, before + 3)
    trend = metrics(console_stack, "trend", **period, interval="day")
    hotline = metrics(console_stack, "hotline", **period)
    quarter = str(Quarter.of_day(date.fromisoformat(period["to"])))
    evaluation = metrics(console_stack, "evaluation", of="grid", quarter=quarter)
    page.add_init_script(WATCH_CSP)
    signed_in(page, console, sms, STAFF)
    page.get_by_role("link", name="统计").click()
    page.get_by_label("开始日期").fill(period["from"])
    page.get_by_label("结束日期").fill(period["to"])
    page.get_by_role("button", name="查看").click()
    expect(page.locator("#stats-zone")).to_have_text(summary["timezone"])
    charts = ["chart-trend", "chart-hotline", "chart-evaluation", "chart-by-grid",
              "chart-by-team", "chart-by-category", "chart-by-channel"]  # fmt: skip
    rendered(page, charts)
    drawn = {chart["id"]: chart for chart in page.evaluate(DRAWN, charts)}

    days = trend["periods"]
    assert drawn["chart-trend"]["categories"] == [day["period"] for day in days]
    assert [s["data"] for s in drawn["chart-trend"]["series"]] == [
        [day["collected"] for day in days],
        [day["resolved"] for day in days],
    ]
    assert sum(drawn["chart-trend"]["series"][0]["data"]) == summary["collected"]
    months = hotline["months"]
    assert drawn["chart-hotline"]["categories"] == [month["month"] for month in months]
    assert [s["data"] for s in drawn["chart-hotline"]["series"]] == [
        [month["per_1000_households"] for month in months],
        [month["last_year_per_1000_households"] for month in months],
    ]
    units = evaluation["units"]
    grids = {unit["unit"]: unit["name"] for unit in units}
    assert drawn["chart-evaluation"]["categories"] == [unit["name"] for unit in units]
    assert drawn["chart-evaluation"]["series"][0]["data"] == [unit["score"] for unit in units]
    names = {"by_grid": grids, "by_team": {}, "by_category": category_names(console_stack),
             "by_channel": CHANNEL_NAMES}  # fmt: skip
    for name in ("by_grid", "by_team", "by_category", "by_channel"):
        chart = drawn[f"chart-{name.replace('_', '-')}"]
        assert chart["categories"] == [names[name].get(key, key) for key in summary[name]]
        assert [s["data"] for s in chart["series"]] == [
            [brief["collected"] for brief in summary[name].values()],
            [brief["resolved"] for brief in summary[name].values()],
        ]
        table = page.locator(f"#chart-{name.replace('_', '-')}-table").evaluate(TABLE)
        assert table == [
            [value, *(brief[key] for key in (
                "collected", "resolved", "resolution_rate", "on_time_rate",
                "satisfaction_rate", "overdue", "median_resolve_seconds"))]
            for value, brief in summary[name].items()
        ]  # fmt: skip
    assert page.locator("#chart-trend-table").evaluate(TABLE) == [
        [day["period"], day["collected"], day["resolved"]] for day in days
    ]
    assert page.locator("#chart-hotline-table").evaluate(TABLE) == [
        [m["month"], m["hotline_cases"], m["per_1000_households"],
         m["last_year_hotline_cases"], m["last_year_per_1000_households"]]
        for m in months
    ]  # fmt: skip
    figures = page.locator("#stats-figures")
    expect(figures.locator("[data-key=collected]")).to_have_text(str(summary["collected"]))
    expect(figures.locator("[data-key=resolved]")).to_have_text(str(summary["resolved"]))
    assert hotline["hotline_cases"] >= 1
    assert page.evaluate("window.cspViolations") == []
    page.screenshot(path=str(SCREENSHOTS / "console-stats.png"), full_page=True)


def test_the_evaluation_shows_its_formula_and_the_red_and_black_lists(
    page, console, sms, console_stack
):
    """Three cases nobody resolved rank a grid at 0: the black list names it."""
    period, before = counted_period(console_stack)
    for n in range(3):
        report(console_stack, f"统计用：三网格未办结 {n}", grid="jingxiang-g3")
    wait_counted(console_stack, period, before + 3)
    signed_in(page, console, sms, STAFF)
    page.goto(f"{console}/stats?from={period['from']}&to={period['to']}")
    rendered(page, ["chart-evaluation"])
    today = date.fromisoformat(period["to"])
    evaluation = metrics(console_stack, "evaluation", of="grid", quarter=str(Quarter.of_day(today)))
    expect(page.locator("#stats-evaluation")).to_contain_text(str(Quarter.of_day(today)))
    expect(page.locator("#stats-formula")).to_have_text(evaluation["formula"]["zh"])
    assert "办结率" in evaluation["formula"]["zh"]
    for rule in evaluation["formula"]["rules_zh"]:
        expect(page.locator("#stats-formula-rules")).to_contain_text(rule)
    assert evaluation["black_list"], evaluation
    for name in ("red_list", "black_list"):
        listed = page.locator(f"#{name.replace('_', '-')} li[data-unit]")
        expect(listed).to_have_count(len(evaluation[name]))
        for row, item in zip(evaluation[name], listed.all(), strict=True):
            expect(item).to_have_attribute("data-unit", row["unit"])
            expect(item).to_contain_text(str(row["score"]))
    table = page.locator("#chart-evaluation-table").evaluate(TABLE)
    weights = list(evaluation["formula"]["weights"])
    assert table == [
        [unit["unit"], unit["rank"], unit["score"], unit["collected"],
         unit["resolved"], *(unit[key] for key in weights)]
        for unit in evaluation["units"]
    ]  # fmt: skip
    section = page.locator("section[aria-labelledby=stats-evaluation]")
    section.screenshot(path=str(SCREENSHOTS / "console-stats-evaluation.png"))


def test_a_grid_worker_reads_only_their_grid(page, console, sms, console_stack):
    period, before = counted_period(console_stack)
    report(console_stack, "统计用：一网格 grid one", grid=GRID)
    wait_counted(console_stack, period, before + 1)
    mine = metrics(console_stack, "summary", **period, grid_id=GRID)
    page.set_viewport_size({"width": 390, "height": 844})
    signed_in(page, console, sms, GRID_WORKER)
    page.goto(f"{console}/stats?from={period['from']}&to={period['to']}")
    rendered(page, ["chart-trend", "chart-hotline", "chart-evaluation"])
    expect(page.locator("#stats-scope")).to_contain_text(GRID)
    figures = page.locator("#stats-figures")
    expect(figures.locator("[data-key=collected]")).to_have_text(str(mine["collected"]))
    expect(page.locator("#chart-by-grid")).to_have_count(0)  # other grids' figures: staff's
    units = page.locator("#chart-evaluation-table").evaluate(TABLE)
    assert {row[0] for row in units} <= {GRID}
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"/stats is {width} px wide on a 390 px phone"
    page.screenshot(path=str(SCREENSHOTS / "console-stats-phone.png"), full_page=True)
    query = f"from={period['from']}&to={period['to']}"
    other = "grid=jingxiang-g2"
    for path in (f"/stats?{query}&{other}", f"/stats/summary.csv?{query}&{other}",
                 f"/stats/evaluation.csv?{query}", "/stats/volunteers.csv",
                 f"/stats?grid={'g' * 80}"):  # fmt: skip
        answer = page.goto(f"{console}{path}")
        assert answer is not None and answer.status == 404, path
    download = page.request.get(f"{console}/stats/summary.csv?{query}")
    assert download.status == 200
    assert download.headers["content-type"].startswith("text/csv")
    rows = download.text().lstrip("\ufeff").splitlines()
    assert rows[1].startswith(f"grid,{GRID},{mine['collected']},{mine['resolved']}"), rows[:2]


def another_communitys_staff(stack, tmp_path, community: str) -> tuple[str, str]:
    """A community of its own with one staff member, imported as an operator imports one;
    the person once the console knows them."""
    person = (f"p-{community}-staff", "13907319901")
    folder = tmp_path / community
    folder.mkdir()
    (folder / "areas.csv").write_text(
        "code,kind,parent,name,households,timezone,polygon,neighbours,leader,workers,"
        "unit_leader,staff\n"
        f"{community}-sd,subdistrict,,别的街道,,,,,,,,\n"
        f"{community},community,{community}-sd,别的社区,300,Asia/Shanghai,,,,,,{person[0]}\n"
        f"{community}-g1,grid,{community},别的网格,300,,,,,,,\n",
        encoding="utf-8",
    )
    (folder / "people.csv").write_text(
        "id,community,name,phone,roles,teams,skills,home_grids,max_open_cases,contacts,"
        "quiet_hours,household,active\n"
        f"{person[0]},{community},陈别人,{person[1]},staff,,,,,sms:{person[1]},,,true\n",
        encoding="utf-8",
    )
    imported = admin_cli(stack, "roster", "import", str(folder))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    with MongoClient(stack.mongo_uri) as client:
        people = client[f"{stack.db_prefix}console"]["people"]
        wait_until(
            "the console to know the other staff", lambda: people.find_one({"_id": person[0]})
        )
    return person


def test_another_communitys_staff_read_their_own_figures_only(
    page, console, sms, console_stack, tmp_path
):
    other = f"sx{RUN_ID}"
    person = another_communitys_staff(console_stack, tmp_path, other)
    signed_in(page, console, sms, person)
    page.goto(f"{console}/stats?community_id={COMMUNITY}")
    rendered(page, ["chart-trend", "chart-by-grid"])
    expect(page.locator("#stats-scope")).to_contain_text(other)
    expect(page.locator("#stats-scope")).not_to_contain_text(COMMUNITY)
    theirs = metrics(console_stack, "summary", community_id=other)
    assert theirs["collected"] == 0
    expect(page.locator("#stats-figures [data-key=collected]")).to_have_text("0")
    assert page.locator("#chart-by-grid-table").evaluate(TABLE) == []  # none of jingxiang's grids
    download = page.request.get(f"{console}/stats/evaluation.csv?community_id={COMMUNITY}")
    assert download.status == 200 and "jingxiang" not in download.text()


def test_a_community_named_in_the_query_is_not_followed(page, console, sms, console_stack):
    """The community is the session's: a community named in the query is not followed,
    on the page or in a download."""
    other = f"cx-{RUN_ID}"
    report(console_stack, "别的社区 elsewhere", community=other)
    signed_in(page, console, sms, STAFF)
    page.goto(f"{console}/stats?community_id={other}")
    expect(page.locator("#stats-scope")).to_contain_text(COMMUNITY)
    expect(page.locator("#stats-scope")).not_to_contain_text(other)
    download = page.request.get(f"{console}/stats/summary.csv?community_id={other}")
    assert download.status == 200
    assert f"community,{COMMUNITY}," in download.text()
    assert other not in download.text()


def test_bad_dates_show_the_fields_error_and_ask_metrics_nothing(page, console, sms):
    signed_in(page, console, sms, STAFF)
    for query, field, text in (
        ("from=2026-02-30", "from", "请输入有效日期"),
        ("from=2026-03-02&to=2026-03-01", "from", "开始日期不能晚于结束日期"),
        ("from=2024-01-01&to=2026-01-01", "to", "最长366天"),
    ):
        answer = page.goto(f"{console}/stats?{query}")
        assert answer is not None and answer.status == 400, query
        expect(page.locator(f"#stats-{field}-error")).to_contain_text(text)
        expect(page.get_by_label("开始日期" if field == "from" else "结束日期")).to_have_attribute(
            "aria-invalid", "true"
        )
        expect(page.locator("#stats-charts")).to_have_count(0)


def test_the_page_works_in_english(page, console, sms, console_stack):
    signed_in(page, console, sms, STAFF)
    page.goto(f"{console}/stats")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Statistics", exact=True)).to_be_visible()
    rendered(page, ["chart-trend", "chart-evaluation"])
    drawn = page.evaluate(DRAWN, ["chart-trend"])[0]
    assert [s["name"] for s in drawn["series"]] == ["collected", "resolved"]
    evaluation = metrics(console_stack, "evaluation", of="grid")
    expect(page.locator("#stats-formula")).to_have_text(evaluation["formula"]["en"])
    expect(page.locator("#stats-formula-rules")).to_contain_text(evaluation["formula"]["rules"][2])
    expect(page.get_by_role("heading", name="Red list (best)")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "console-stats-en.png"), full_page=True)
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="统计", exact=True)).to_be_visible()
