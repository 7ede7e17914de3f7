"""The admin import clicked through in headless Chromium (Debian's `chromium`, driven by Playwright).

Two real `roomgate serve` processes share one SQLite ledger and one Redis: the operator works on
the first; the second, started before the hotel existed, must sell it without a restart.
Screenshots of every step land in `tmp/artifacts/admin/` (or `$ROOMGATE_TEST_ARTIFACTS/admin`);
`ROOMGATE_UPDATE_DOCS_SCREENSHOTS=1` also refreshes the two README images in `docs/`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redis

from roomgate.ledger.migrate import upgrade
from tests.conftest import REQUIRE_SERVICES
from tests.e2e.admin_stack import ADMIN_TOKEN, CB_KEY, NEW_HOTEL, Sims, roomgate_env, vendor_sims
from tests.e2e.processes import START_DEADLINE_SECONDS, free_port, process_env
from tests.fake_keys import cloudbeds_key

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("ROOMGATE_TEST_ARTIFACTS", REPO / "tmp" / "artifacts")) / "admin"
DOCS = REPO / "docs"
WRONG_KEY = cloudbeds_key("wrong_key_5e0d11")


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(f"ROOMGATE_REQUIRE_SERVICES=1 and {message}", pytrace=False)
        pytest.skip(message)
    return path


@contextlib.contextmanager
def serve(env: dict[str, str], log: Path) -> Iterator[str]:
    """`roomgate serve` on a free port, its output in a file (read by the key-leak check)."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "roomgate.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=process_env({**env, "ROOMGATE_LOG_LEVEL": "INFO", "ROOMGATE_LOG_FORMAT": "json"}),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while True:
            assert proc.poll() is None, log.read_text()[-2000:]
            with contextlib.suppress(httpx2.HTTPError):
                if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "roomgate serve did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def servers(tmp_path: Path, real_redis_url: str) -> Iterator[tuple[Sims, str, str, list[Path]]]:
    flush = redis.Redis.from_url(real_redis_url)
    flush.flushdb()
    database_url = f"sqlite:///{tmp_path}/admin.db"
    upgrade(database_url)
    logs = [tmp_path / "server-a.log", tmp_path / "server-b.log"]
    with vendor_sims() as sims:
        env = {**roomgate_env(sims), "DATABASE_URL": database_url, "REDIS_URL": real_redis_url}
        with serve(env, logs[0]) as a, serve(env, logs[1]) as b:
            yield sims, a, b, logs
    flush.flushdb()
    flush.close()


class Shots:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.count = 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str, docs_name: str | None = None, full_page: bool = False) -> None:
        self.count += 1
        path = ARTIFACTS / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        if docs_name and os.environ.get("ROOMGATE_UPDATE_DOCS_SCREENSHOTS") == "1":
            DOCS.mkdir(exist_ok=True)
            shutil.copyfile(path, DOCS / docs_name)


def availability(url: str) -> httpx2.Response:
    check_in = date.today() + timedelta(days=10)
    params = {
        "vendor": "cloudbeds",
        "checkIn": check_in.isoformat(),
        "checkOut": (check_in + timedelta(days=2)).isoformat(),
    }
    return httpx2.get(f"{url}/api/hotels/{NEW_HOTEL}/availability", params=params, timeout=10)


def open_modal_and_load(page: Any, key: str) -> None:
    page.get_by_role("button", name="숙박 카테고리 상품 추가").focus()
    page.keyboard.press("Enter")
    page.locator("#pms-vendor").select_option("cloudbeds")
    page.locator("#pms-hotel-id").fill(NEW_HOTEL)
    page.locator("#pms-api-key").fill(key)
    page.locator("#pms-api-key").press("Enter")  # submits the form: 불러오기


def test_operator_imports_a_hotel_and_every_process_sells_it(
    chromium: str, servers: tuple[Sims, str, str, list[Path]]
) -> None:
    from playwright.sync_api import expect, sync_playwright

    sims, a, b, logs = servers
    html: list[str] = []
    json_bodies: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="ko-KR")
        page = context.new_page()

        def keep_json(response: Any) -> None:
            if "application/json" in (response.headers.get("content-type") or ""):
                json_bodies.append(response.text())

        page.on("response", keep_json)
        shot = Shots(page)

        # given a hotel only the PMS knows, which neither server sells
        assert availability(b).status_code == 404

        # signed out: the admin page sends the operator to sign in
        page.goto(f"{a}/admin/listings/1")
        expect(page).to_have_url(f"{a}/admin/login?next=%2Fadmin%2Flistings%2F1")
        page.locator("#token").fill("not-the-token")
        page.locator("#token").press("Enter")
        expect(page.locator("#login-error")).to_contain_text("관리자 토큰이 올바르지 않습니다")
        shot("sign-in-refused")
        page.locator("#token").fill(ADMIN_TOKEN)
        page.locator("#token").press("Enter")
        page.goto(f"{a}/admin")
        expect(page.get_by_role("heading", name="상품 목록")).to_be_visible()
        shot("listings-empty")

        # a wrong key: the modal says so in Korean
        open_modal_and_load(page, WRONG_KEY)
        expect(page.locator("#pms-modal")).to_be_visible()
        expect(page.locator("#pms-error")).to_contain_text("PMS 인증 실패")
        expect(page.locator("#product-form")).to_be_hidden()
        shot("modal-wrong-key")

        # the right key, with the PMS holding its answer until released: a visible loading state, then
        # (once the PMS answers) the prefilled form
        httpx2.put(f"{sims.cloudbeds}/_sim/faults", json={"pause": True, "endpoints": ["getHotelDetails"]})
        page.locator("#pms-api-key").fill(CB_KEY)
        page.locator("#pms-load").click()
        expect(page.locator("#pms-loading")).to_be_visible()
        expect(page.locator("#pms-load")).to_be_disabled()
        shot("modal-loading")
        httpx2.put(f"{sims.cloudbeds}/_sim/faults", json={})
        httpx2.post(f"{sims.cloudbeds}/_sim/release").raise_for_status()
        expect(page.locator("#product-form")).to_be_visible(timeout=15_000)
        expect(page.locator("#pf-name")).to_have_value("Roomgate Demo Hotel Busan")
        expect(page.locator("#pf-location")).to_have_value("264 Haeundaehaebyeon-ro, Haeundae-gu, Busan, KR")
        expect(page.locator("#pf-average")).to_have_text("119,500 KRW")
        expect(page.locator("#pf-occupancy")).to_have_text("2명")
        expect(page.locator("#pf-inventory")).to_contain_text("10실")
        expect(page.locator("#pf-rooms li.highlight")).to_have_count(2)
        expect(page.locator("#pf-rooms li").first).to_contain_text("150,000 KRW")
        shot("modal-prefilled", docs_name="admin-import-modal.png")

        # the operator edits the form and saves, with the keyboard
        page.locator("#pf-name").fill("부산 해운대 호텔")
        page.locator("#pf-room-0").fill("오션뷰 더블")
        page.locator("#pf-description").fill("해운대 해변 앞")
        page.locator("#pf-save").focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(
            f"{a}/admin/listings/1?notice=%EC%83%88%20%EC%83%81%ED%92%88%EC%9D%84%20%EC%A0%80%EC%9E%A5%ED%96%88%EC%8A%B5%EB%8B%88%EB%8B%A4"
        )
        expect(page.locator("#listing-name")).to_have_text("부산 해운대 호텔")
        expect(page.locator("#notice")).to_have_text("새 상품을 저장했습니다")
        expect(page.locator("#room-types")).to_contain_text("오션뷰 더블")
        expect(page.locator("#calendar tbody tr")).to_have_count(2)
        expect(page.locator("#calendar tbody tr").first.locator("td")).to_have_count(30)
        expect(page.locator("#calendar tbody tr").first.locator("td").first).to_contain_text("150,000")
        expect(page.locator("#breaker-state")).to_contain_text("CLOSED")
        expect(page.locator("#polling-status")).to_contain_text("마지막 동기화")
        shot("listing-page", docs_name="admin-listing.png", full_page=True)
        html.append(page.content())

        # then the second server process, never restarted, sells the new hotel
        answer = availability(b)
        assert answer.status_code == 200, answer.text
        assert [room["roomTypeId"] for room in answer.json()["roomTypes"]] == ["room_771", "room_772"]

        # the degraded switch works from the page
        page.locator("#degraded-on").click()
        expect(page.locator("#degraded-state")).to_contain_text("켜짐")
        page.locator("#degraded-off").click()
        expect(page.locator("#degraded-state")).to_contain_text("꺼짐")

        # a re-import through the modal updates the same listing: no duplicate
        page.goto(f"{a}/admin")
        open_modal_and_load(page, CB_KEY)
        expect(page.locator("#product-form")).to_be_visible()
        page.locator("#pf-name").fill("부산 해운대 호텔")
        page.locator("#pf-save").click()
        expect(page.locator("#notice")).to_contain_text("기존 상품을 업데이트했습니다")
        page.goto(f"{a}/admin")
        expect(page.locator("#listings-table tbody tr")).to_have_count(1)
        shot("listings-after-reimport")
        html.append(page.content())

        # requests without the session's CSRF token are refused and change nothing
        status = page.evaluate(
            """() => fetch('/api/admin/listings/1/disable', {method: 'POST'}).then(r => r.status)"""
        )
        assert status == 401
        forged = page.request.post(
            f"{a}/admin/listings/1/enabled", form={"csrf_token": "forged", "enabled": "false"}
        )
        assert forged.status == 401
        assert "CSRF" in forged.text()
        assert availability(b).status_code == 200

        # disabling from the page stops the sale on the other process too
        page.goto(f"{a}/admin/listings/1")
        page.locator("#disable-listing").click()
        expect(page.locator("#notice")).to_have_text("판매를 중지했습니다")
        html.append(page.content())
        assert availability(b).status_code == 404  # even the answer it had remembered

        # sign out: the session ends and admin pages redirect again
        page.get_by_role("button", name="로그아웃").click()
        expect(page).to_have_url(f"{a}/admin/login")
        page.goto(f"{a}/admin/bookings")
        expect(page).to_have_url(f"{a}/admin/login?next=%2Fadmin%2Fbookings")
        shot("signed-out")
        context.close()
        browser.close()

    # the key never reached a page, a JSON answer or a log line of either process
    for text in (*html, *json_bodies, *(log.read_text() for log in logs)):
        assert CB_KEY not in text
        assert WRONG_KEY not in text
    assert "listing_imported" in logs[0].read_text()  # the logs were captured at INFO
