"""`REDIS_URL` forms: a single server, or a Redis Cluster's seed nodes."""

from __future__ import annotations

import pytest

from roomgate.cache.client import cluster_nodes
from roomgate.config import SettingsError, load_settings


def test_cluster_url_lists_its_seed_nodes() -> None:
    assert cluster_nodes("redis+cluster://10.0.0.1:7000,10.0.0.2:7001/") == [
        ("10.0.0.1", 7000),
        ("10.0.0.2", 7001),
    ]
    assert cluster_nodes("rediss+cluster://user:pw@[::1]:7000") == [("::1", 7000)]


def test_a_cluster_node_without_a_port_is_refused() -> None:
    with pytest.raises(ValueError, match="not host:port"):
        cluster_nodes("redis+cluster://10.0.0.1")


@pytest.mark.parametrize("url", ["redis+cluster://127.0.0.1:7000", "redis://127.0.0.1:6379/0"])
def test_settings_accept_cluster_and_single_server_urls(url: str) -> None:
    assert load_settings(redis_url=url).redis_url == url


def test_settings_refuse_other_schemes_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="REDIS_URL"):
        load_settings(redis_url="memcached://127.0.0.1:11211")
