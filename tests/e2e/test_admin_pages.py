"""The admin pages over plain HTTP: sign-in, sessions, CSRF on every form, headers, errors in Korean."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2
import pytest

from tests.e2e.admin_stack import ADMIN_TOKEN, CB_KEY, NEW_HOTEL, AdminStack, admin_stack
from tests.fake_keys import cloudbeds_key

pytestmark = pytest.mark.slow

PAGES = ["/admin", "/admin/listings/1", "/admin/bookings", "/admin/bookings/bk_x"]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert found, html[:500]
    return found.group(1)


def sign_in(stack: AdminStack, client: httpx2.Client, token: str = ADMIN_TOKEN) -> httpx2.Response:
    form = client.get(f"{stack.url}/admin/login")
    return client.post(
        f"{stack.url}/admin/login",
        data={"token": token, "csrf_token": csrf_of(form.text), "next": "/admin"},
        follow_redirects=False,
    )


def test_signed_out_pages_redirect_and_sign_in_sets_a_strict_cookie(tmp_path: Path) -> None:
    with admin_stack(f"sqlite:///{tmp_path}/p.db") as stack, httpx2.Client() as client:
        redirects = [client.get(f"{stack.url}{page}", follow_redirects=False) for page in PAGES]
        no_csrf = client.post(f"{stack.url}/admin/login", data={"token": ADMIN_TOKEN}, follow_redirects=False)
        signed_in = sign_in(stack, client)
        listings = client.get(f"{stack.url}/admin")
    for answer, page in zip(redirects, PAGES, strict=True):
        assert answer.status_code == 303 and answer.headers["location"].startswith("/admin/login?next=")
        assert page.replace("/", "%2F") in answer.headers["location"]
    assert no_csrf.status_code == 401 and "보안 토큰" in no_csrf.text
    assert signed_in.status_code == 303
    cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("roomgate_admin="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert listings.status_code == 200 and "상품 목록" in listings.text
    csp = listings.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert listings.headers["cache-control"] == "no-store"
    assert "<script>" not in listings.text and " style=" not in listings.text


def test_sign_in_is_throttled_after_ten_wrong_tokens(tmp_path: Path) -> None:
    with admin_stack(f"sqlite:///{tmp_path}/p.db") as stack, httpx2.Client() as client:
        wrong = [sign_in(stack, client, token=f"guess-{n}").status_code for n in range(10)]
        right_but_throttled = sign_in(stack, client)
    assert wrong == [401] * 10
    assert right_but_throttled.status_code == 429 and "너무 많습니다" in right_but_throttled.text


def test_every_form_needs_the_session_csrf_token_and_sign_out_ends_the_session(tmp_path: Path) -> None:
    with admin_stack(f"sqlite:///{tmp_path}/p.db") as stack, httpx2.Client() as client:
        sign_in(stack, client)
        page = client.get(f"{stack.url}/admin").text
        csrf = csrf_of(page)
        saved = client.post(
            f"{stack.url}/api/admin/listings",
            json={"vendor": "cloudbeds", "hotelId": NEW_HOTEL, "apiKey": CB_KEY},
            headers={"X-CSRF-Token": csrf},
        )
        listing = client.get(f"{stack.url}/admin/listings/1")
        forms = {
            "/admin/listings/1/enabled": {"enabled": "false"},
            "/admin/listings/1/degraded": {"enabled": "true", "reason": "x"},
            "/admin/listings/1/polling": {"action": "stop"},
            "/admin/logout": {},
        }
        refused = {
            path: client.post(
                f"{stack.url}{path}", data={**fields, "csrf_token": "forged"}, follow_redirects=False
            )
            for path, fields in forms.items()
        }
        api_without_header = client.post(f"{stack.url}/api/admin/listings/1/disable")
        still = stack.admin("GET", "/listings/1").json()["listing"]
        status = stack.admin("GET", "/status").json()
        missing = client.get(f"{stack.url}/admin/listings/99")
        out = client.post(f"{stack.url}/admin/logout", data={"csrf_token": csrf}, follow_redirects=False)
        after = client.get(f"{stack.url}/admin", follow_redirects=False)
        api_after = client.get(f"{stack.url}/api/admin/listings")
    assert saved.status_code == 200, saved.text
    assert listing.status_code == 200 and "시작 대기" in listing.text  # no worker has polled it yet
    assert CB_KEY not in page + listing.text + saved.text
    for path, answer in refused.items():
        assert answer.status_code == 401, path
        assert "CSRF" in answer.text and "<html" in answer.text  # a Korean page, not JSON
    assert api_without_header.status_code == 401 and api_without_header.json()["errorCode"] == "UNAUTHORIZED"
    assert still["enabled"] is True and status["degraded"]["hotels"] == {}
    assert missing.status_code == 404 and "찾을 수 없습니다" in missing.text
    assert out.status_code == 303 and after.status_code == 303
    assert api_after.status_code == 401


def test_text_from_the_pms_is_escaped_on_every_page(tmp_path: Path) -> None:
    evil = '<script>alert("x")</script>'
    with admin_stack(f"sqlite:///{tmp_path}/p.db") as stack, httpx2.Client() as client:
        stack.client.put(
            f"{stack.sims.cloudbeds}/_sim/properties/hotel_555",
            json={
                "name": evil,
                "address": {"city": evil},
                "roomTypes": [{"id": "room_1", "name": evil, "nightlyRate": "1000"}],
            },
        ).raise_for_status()
        saved = stack.admin(
            "POST", "/listings", json={"vendor": "cloudbeds", "hotelId": "hotel_555", "apiKey": CB_KEY}
        )
        sign_in(stack, client)
        pages = [client.get(f"{stack.url}{page}").text for page in ("/admin", "/admin/listings/1")]
    assert saved.status_code == 200, saved.text
    for html in pages:
        assert evil not in html
        assert "&lt;script&gt;" in html


def test_settings_form_rotates_the_key_only_when_the_pms_accepts_it(tmp_path: Path) -> None:
    with admin_stack(f"sqlite:///{tmp_path}/p.db") as stack, httpx2.Client(follow_redirects=True) as client:
        stack.admin("POST", "/listings", json={"vendor": "cloudbeds", "hotelId": NEW_HOTEL, "apiKey": CB_KEY})
        sign_in(stack, client)
        csrf = csrf_of(client.get(f"{stack.url}/admin/listings/1").text)
        url = f"{stack.url}/admin/listings/1/settings"
        refused = client.post(
            url,
            data={"csrf_token": csrf, "polling_interval_seconds": "600", "api_key": cloudbeds_key("revoked")},
        )
        too_fast = client.post(url, data={"csrf_token": csrf, "polling_interval_seconds": "5"})
        before = stack.admin("GET", "/listings/1").json()["listing"]
        rotated = client.post(
            url, data={"csrf_token": csrf, "polling_interval_seconds": "900", "api_key": CB_KEY}
        )
        after = stack.admin("GET", "/listings/1").json()["listing"]
    assert "PMS 인증 실패" in refused.text and cloudbeds_key("revoked") not in refused.text
    assert "60초에서 86400초" in too_fast.text
    assert (before["keyVersion"], before["pollingIntervalSeconds"], before["pollingEnabled"]) == (
        1,
        300,
        True,
    )
    assert "API 키 교체됨" in rotated.text and CB_KEY not in rotated.text
    assert (after["keyVersion"], after["pollingIntervalSeconds"], after["pollingEnabled"]) == (2, 900, False)


def test_listing_page_shows_polling_and_syncs_starts_and_stops_it(tmp_path: Path) -> None:
    with admin_stack(f"sqlite:///{tmp_path}/p.db") as stack, httpx2.Client(follow_redirects=True) as client:
        # given an imported hotel and a signed-in operator on its page
        stack.admin("POST", "/listings", json={"vendor": "cloudbeds", "hotelId": NEW_HOTEL, "apiKey": CB_KEY})
        sign_in(stack, client)
        page = client.get(f"{stack.url}/admin/listings/1").text
        csrf = csrf_of(page)
        url = f"{stack.url}/admin/listings/1/polling"
        # when the operator syncs now, stops and starts polling
        synced = client.post(url, data={"csrf_token": csrf, "action": "sync"})
        stopped = client.post(url, data={"csrf_token": csrf, "action": "stop"})
        status_stopped = stack.admin("GET", f"/polling/cloudbeds/{NEW_HOTEL}").json()["status"]
        started = client.post(url, data={"csrf_token": csrf, "action": "start"})
        status_started = stack.admin("GET", f"/polling/cloudbeds/{NEW_HOTEL}").json()["status"]
        forged = client.post(url, data={"csrf_token": "forged", "action": "stop"})
    # then the page shows the poller and each action did what it says
    assert 'id="polling-status"' in page and 'id="polling-sync"' in page
    assert "동기화 완료" in synced.text and "마지막 동기화" in synced.text
    assert "폴링을 중지했습니다" in stopped.text and status_stopped["isRunning"] is False
    assert "폴링을 시작했습니다" in started.text and status_started["isRunning"] is True
    assert forged.status_code in (401, 403)
