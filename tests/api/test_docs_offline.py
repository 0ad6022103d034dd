"""/docs and /redoc work with no network but the app's own: their pages name no other host,
and a real browser (Debian's headless Chromium), cut off from every address but the server's,
renders every tag of the OpenAPI document in each. A page that still needed a CDN would show
none of them, so the cut is checked too: a page asking another address loads nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.openapi.docs import get_swagger_ui_html

from runtime.web.docs import ASSETS, FILES
from tests import live_server

PAGES = ("/docs", "/redoc")
# one browser at a time: ReDoc lays out ~580 operations, about 20 s of CPU on a quiet core,
# several times that on a busy CI machine; a generous bound, not an expectation
BROWSER_SECONDS = 240
BROWSER = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--virtual-time-budget=20000",
    "--dump-dom",
]
# Every request but one to 127.0.0.1 goes to a proxy that is not there (port 9, discard), and
# no name resolves. <-loopback> drops Chromium's implicit bypass of all of 127/8; it comes
# first because later bypass rules win.
OFFLINE = [
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>;127.0.0.1",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: `apt-get install chromium` (.ci/run does it)")
    return path


@pytest.fixture(scope="module")
def server(database_urls):
    env = {
        **os.environ,
        "CXG_MANAGER_DATABASE_URL": database_urls["manager"],
        "CXG_TENANT_DATABASE_URL": database_urls["tenant"],
        "CXG_REDIS_URL": "",
    }
    with live_server.serving(env) as base:
        yield base


@pytest.fixture(scope="module")
def elsewhere():
    """A script on another loopback address: reachable, so only the browser's flags keep it
    out (the real internet may be unreachable here anyway, which would prove nothing)."""

    class Probe(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"document.body.dataset.probe = 'loaded';"
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.2", 0), Probe)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.2:{httpd.server_address[1]}/probe.js"
    finally:
        httpd.shutdown()
        httpd.server_close()


def dump_doms(chromium: str, tmp_path: Path, runs: list[tuple[str, list[str]]]) -> list[str]:
    """The DOM of each (page, flags) once its scripts ran: one browser and profile each, one
    after the other (side by side they starve each other on two cores)."""

    def dump(i: int, url: str, flags: list[str]) -> str:
        run = subprocess.run(
            [chromium, *BROWSER, *flags, f"--user-data-dir={tmp_path / f'profile-{i}'}", url],
            capture_output=True,
            encoding="utf-8",
            timeout=BROWSER_SECONDS,
        )
        assert run.returncode == 0 and run.stdout, f"{url}: {run.stderr[-2000:]}"
        return run.stdout

    return [dump(i, url, flags) for i, (url, flags) in enumerate(runs)]


class _Text(HTMLParser):
    """The text a reader sees: text nodes outside script, style and noscript."""

    HIDDEN = {"script", "style", "noscript"}

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.texts: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        self.hidden += tag in self.HIDDEN

    def handle_endtag(self, tag) -> None:
        self.hidden -= tag in self.HIDDEN

    def handle_data(self, data) -> None:
        if not self.hidden and data.strip():
            self.texts.add(data.strip())


def shown(dom: str) -> set[str]:
    parser = _Text()
    parser.feed(dom)
    parser.close()
    return parser.texts


def test_pages_load_only_from_the_app(server):
    for page in PAGES:
        html = httpx.get(f"{server}{page}").text
        assert re.findall(r"https?://", html) == [], page
        loads = re.findall(r'(?:src|href)="([^"]*)"', html)
        assert loads and all(url.startswith(f"{ASSETS}/") for url in loads), loads
    for name, media_type in FILES.items():
        asset = httpx.get(f"{server}{ASSETS}/{name}")
        assert asset.status_code == 200 and len(asset.content) > 1000, name
        assert asset.headers["content-type"] == media_type
        assert "max-age=31536000" in asset.headers["cache-control"]


def test_the_browser_reaches_nothing_but_the_server(chromium, tmp_path, elsewhere):
    # what FastAPI's own /docs page loads
    cdn = re.findall(
        r'src="(https://[^"]+)"', get_swagger_ui_html(openapi_url="/", title="").body.decode()
    )
    assert cdn
    page = tmp_path / "elsewhere.html"
    page.write_text(
        '<!DOCTYPE html><html><body data-probe="pending" data-cdn="pending">'
        f'<script src="{elsewhere}" onerror="document.body.dataset.probe = \'blocked\'"></script>'
        f'<script src="{cdn[0]}" onload="document.body.dataset.cdn = \'loaded\'"'
        " onerror=\"document.body.dataset.cdn = 'blocked'\"></script></body></html>"
    )
    probe_only = tmp_path / "probe.html"  # no CDN: with the network open it could take long
    probe_only.write_text(
        f'<!DOCTYPE html><html><body data-probe="pending"><script src="{elsewhere}"></script>'
    )
    cut, open_ = dump_doms(
        chromium, tmp_path, [(page.as_uri(), OFFLINE), (probe_only.as_uri(), [])]
    )
    assert 'data-probe="loaded"' in open_  # the probe works: the flags alone keep it out
    assert 'data-probe="blocked"' in cut and 'data-cdn="blocked"' in cut


def test_every_tag_is_rendered_offline(server, chromium, tmp_path):
    tags = [tag["name"] for tag in httpx.get(f"{server}/openapi.json").json()["tags"]]
    assert len(tags) > 100
    doms = dump_doms(chromium, tmp_path, [(f"{server}{page}", OFFLINE) for page in PAGES])
    for page, dom in zip(PAGES, doms, strict=True):
        texts = shown(dom)
        missing = [tag for tag in tags if tag not in texts]
        assert missing == [], f"{page}: {len(missing)} of {len(tags)} tags not shown: {missing[:5]}"
