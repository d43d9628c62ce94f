"""The staff console in a real browser: Debian's Chromium (/usr/bin/chromium, installed by
`make infra`), driven by Playwright, on a stack of its own whose SMS gateway is a sink in
this process, so the sign-in code is read from what the phone would show.

Every module of this package shares one stack and one browser (package-scoped fixtures;
tests/workers.py keeps the package on one worker). Every service runs once (no replicas:
nothing here is about competing consumers), in a vhost and database prefix of the
package's own. Screenshots go to var/screenshots/.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from scripts.broker_users import BrokerUsers
from scripts.stack import CONSOLE, Stack
from scripts.webhook_sink import Sink, handler_for
from tests.conftest import MONGO_URI, RUN_ID, add_vhost, rabbitmqctl
from tests.e2e.conftest import SIGNING_SECRET, import_sample_community, new_stack
from tests.e2e.console.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, SIGNING_IN, close
from tests.ports import free_base
from tests.waiting import wait_until


@pytest.fixture(scope="package")
def sms() -> Iterator[Sink]:
    """The SMS gateway: keeps what each phone would show."""
    receiver = Sink(SIGNING_SECRET, fail_first=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(receiver))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield receiver
    server.shutdown()


@pytest.fixture(scope="package")
def console_stack(
    broker_users: BrokerUsers, mongo_client, sms, tmp_path_factory
) -> Iterator[Stack]:
    vhost = f"lianxin-test-{RUN_ID}-console"
    amqp_uri = add_vhost(vhost)
    broker_users.grant(vhost)
    prefix = f"t{RUN_ID}c_"
    made = new_stack(amqp_uri, broker_users, MONGO_URI, prefix, tmp_path_factory.mktemp("c"), sms)
    made.replicas = 1
    made.base_port = 0
    made.base_port = free_base(made.ports())
    made.env |= {
        "NOTIFY_SMS_URL": sms.url.replace("/hooks", "/sms"),
        "NOTIFY_SMS_API_KEY": "console-test-sms-gateway",
    }
    try:
        made.up()
        import_sample_community(made)
        yield made
    finally:
        made.down()
        rabbitmqctl("delete_vhost", vhost)
        for name in mongo_client.list_database_names():
            if name.startswith(prefix):
                mongo_client.drop_database(name)


@pytest.fixture(scope="package")
def console(console_stack, mongo_client) -> str:
    """The console's address, once it knows every person the tests sign in as."""
    people = mongo_client[f"{console_stack.db_prefix}console"]["people"]
    for person_id, _ in SIGNING_IN:
        known = lambda p=person_id: people.find_one({"_id": p})  # noqa: E731
        wait_until(f"the console to know {person_id}", known)
    return console_stack.url(CONSOLE)


@pytest.fixture(scope="package")
def browser_context(tmp_path_factory) -> Iterator[BrowserContext]:
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: `make infra` installs Debian's chromium")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            locale="zh-CN",
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    browser_context.clear_cookies()
    opened = browser_context.new_page()
    yield opened
    close(opened)
