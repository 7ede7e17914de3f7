"""`roomgate demo` as a person uses it: the banner's admin page, token and second hotel to import."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2
import pytest

from tests.e2e.processes import free_port
from tests.e2e.test_cli import running

pytestmark = pytest.mark.slow


def test_demo_prints_the_admin_page_and_its_second_hotel_can_be_imported(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["demo", "--port", str(port)], tmp_path, f"{base}/healthz") as proc:
        banner = ""
        while "bookable at once" not in banner:
            banner += proc.stdout.readline()  # type: ignore[union-attr]
        banner += proc.stdout.readline()  # type: ignore[union-attr]
        # the banner names the admin page and its token
        assert f"{base}/admin" in banner
        token = re.search(r"Admin token\s+(\S+)", banner).group(1)  # type: ignore[union-attr]
        hotel = re.search(r"호텔 ID (\w+)", banner).group(1)  # type: ignore[union-attr]
        key = re.search(r"API 키 (\S+)", banner).group(1)  # type: ignore[union-attr]
        url = re.search(r"curl '([^']+/" + hotel + r"/availability[^']+)'", banner).group(1)  # type: ignore[union-attr]
        # the second hotel is in the simulator but not sold until someone adds it
        assert httpx2.get(url).status_code == 404
        assert (
            httpx2.get(f"{base}/admin", follow_redirects=False).headers["location"].startswith("/admin/login")
        )
        headers = {"Authorization": f"Bearer {token}"}
        body = {"vendor": "cloudbeds", "hotelId": hotel, "apiKey": key}
        form = httpx2.post(f"{base}/api/admin/pms/preview", json=body, headers=headers, timeout=30).json()[
            "form"
        ]
        assert form["hotelName"] == "Roomgate Demo Hotel Jeju" and len(form["roomTypes"]) == 2
        saved = httpx2.post(f"{base}/api/admin/listings", json=body, headers=headers, timeout=30)
        assert saved.status_code == 200, saved.text
        # then it is bookable at once
        assert httpx2.get(url).status_code == 200
    # the demo keeps its secret key beside its database, never in its output
    secret = (tmp_path / ".roomgate" / "demo-secret.key").read_text().strip()
    rest = proc.stdout.read() if proc.stdout else ""  # type: ignore[union-attr]
    assert secret and secret not in banner + rest
