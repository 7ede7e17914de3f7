"""Deployment files, checked statically with maintained tools (no container engine here) and against the app.

Dockerfile: hadolint. Compose: the compose-spec JSON schema. Kubernetes: kubernetes-validate --strict.
systemd: systemd-analyze verify. Prometheus rules: promtool. Every metric a rule or a dashboard panel uses
must be exported by a running app.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
import yaml

from roomgate.app import create_app
from roomgate.config import load_settings
from roomgate.ledger.migrate import upgrade
from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
METRIC_NAME = re.compile(r"\broomgate_[a-z0-9_]+")
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def tool(name: str) -> str:
    """A validator from the venv (PyPI) or the system (Debian); fails under ROOMGATE_REQUIRE_SERVICES=1."""
    found = shutil.which(name, path=f"{BIN}:/usr/bin:/usr/local/bin:/usr/sbin")
    if found is None:
        service_missing(name, "PATH", "not installed")
    return str(found)


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def test_dockerfile_is_multi_stage_non_root_with_a_healthcheck_and_lints_clean() -> None:
    # given
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    # when
    result = run(tool("hadolint"), "--no-color", str(DEPLOY / "Dockerfile"))
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    assert re.search(r"^USER 10001", text, re.M) and "HEALTHCHECK" in text and "/healthz" in text


def test_hadolint_sees_a_bad_dockerfile(tmp_path: Path) -> None:
    # negative control: the linter really runs and fails on a known-bad file
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get install curl\n", encoding="utf-8")
    assert run(tool("hadolint"), "--no-color", str(bad)).returncode != 0


def test_compose_file_follows_the_compose_spec_and_has_every_part() -> None:
    result = run(
        tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(DEPLOY / "compose.yaml")
    )
    assert result.returncode == 0, result.stdout + result.stderr
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))["services"]
    assert {"migrate", "serve-1", "serve-2", "worker", "redis", "postgres", "prometheus", "grafana"} <= set(
        services
    )


def test_kubernetes_manifests_validate_strictly_with_probes_on_readyz_and_healthz() -> None:
    path = DEPLOY / "k8s" / "roomgate.yaml"
    result = run(tool("kubernetes-validate"), "--strict", "--quiet", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    assert {
        ("Deployment", "roomgate-serve"),
        ("Deployment", "roomgate-worker"),
        ("Job", "roomgate-migrate"),
    } <= kinds
    serve = next(d for d in documents if d["metadata"]["name"] == "roomgate-serve")
    container = serve["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"secretRef": {"name": "roomgate-secrets"}} in container["envFrom"]


def test_kubernetes_validate_sees_a_bad_manifest(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: two}\n")
    assert run(tool("kubernetes-validate"), "--strict", "--quiet", str(bad)).returncode != 0


def test_systemd_units_verify_without_warnings(tmp_path: Path) -> None:
    # given: the units with the binary and the env file made resolvable on this machine
    systemd_analyze = tool("systemd-analyze")
    for unit in (DEPLOY / "systemd").glob("*.service"):
        text = unit.read_text(encoding="utf-8").replace("/opt/roomgate/bin/roomgate", "/bin/true")
        text = text.replace("EnvironmentFile=/etc/", "EnvironmentFile=-/etc/")
        name = unit.name.replace("@.service", "@8001.service")
        (tmp_path / name).write_text(text, encoding="utf-8")
    # when
    result = run(systemd_analyze, "verify", "--man=no", *sorted(str(p) for p in tmp_path.glob("*.service")))
    # then: units that reference each other, no unknown keys, nothing printed
    problems = [line for line in result.stderr.splitlines() if "roomgate" in line or "Unknown" in line]
    assert result.returncode == 0 and problems == [], result.stderr


def test_prometheus_rules_pass_promtool() -> None:
    result = run(tool("promtool"), "check", "rules", str(DEPLOY / "prometheus" / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_alert_rules_cover_what_an_operator_must_hear_about() -> None:
    groups = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))["groups"]
    alerts = {rule["alert"] for group in groups for rule in group["rules"]}
    assert {
        "RoomgatePMSCircuitBreakerOpen",
        "RoomgateDegradedMode",
        "RoomgateHoldExpiryRateHigh",
        "RoomgatePMSErrorRateHigh",
        "RoomgatePollingStopped",
        "RoomgateRecoveryDeferred",
        "RoomgateWebhookAuthFailures",
        "RoomgateWebhookDeadLettered",
    } <= alerts


def used_metric_names() -> set[str]:
    """Every roomgate_* series a rule or a dashboard panel queries, reduced to its metric family."""
    text = (DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8")
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "roomgate.json").read_text(encoding="utf-8"))
    text += "\n".join(t["expr"] for panel in dashboard["panels"] for t in panel["targets"])
    names = set()
    for name in METRIC_NAME.findall(text):
        for suffix in HISTOGRAM_SUFFIXES:
            name = name.removesuffix(suffix)
        names.add(name.removesuffix("_total"))
    return names


def exported_families(exposition: str) -> set[str]:
    families = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            families.add(line.split()[2].removesuffix("_total"))
    return families


@pytest.fixture
async def metrics_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("REDIS_URL", raising=False)
    url = f"sqlite:///{tmp_path}/app.db"
    upgrade(url)
    app = create_app(load_settings(database_url=url))
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://roomgate"
    ) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    return response.text


async def test_every_metric_a_rule_or_panel_uses_is_exported_by_the_app(metrics_text: str) -> None:
    # given
    used = used_metric_names()
    exported = exported_families(metrics_text)
    # then: a rename in the code cannot silently blind a dashboard or an alert
    assert len(used) >= 10
    assert used - exported == set()
    # negative control: a name no code exports is reported missing
    assert {"roomgate_no_such_metric"} - exported == {"roomgate_no_such_metric"}


def test_grafana_provisioning_points_at_the_dashboard_and_the_datasource_it_uses() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "roomgate.json").read_text(encoding="utf-8"))
    source = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yaml").read_text()
    )
    uid = source["datasources"][0]["uid"]
    assert dashboard["uid"] == "roomgate-overview" and dashboard["panels"]
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == uid and panel["targets"], panel["title"]
