"""Throwaway databases on the local PostgreSQL and MariaDB servers, one per test session or test."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlparse, urlunparse


def _with_database(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{name}"))


def create_postgres_database(admin_url: str) -> str:
    import asyncpg

    name = f"roomgate_t_{uuid.uuid4().hex[:10]}"

    async def go() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(go())
    return _with_database(admin_url, name)


def drop_postgres_database(admin_url: str, url: str) -> None:
    import asyncpg

    name = urlparse(url).path.lstrip("/")

    async def go() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(go())


def _mysql_connect(url: str):  # type: ignore[no-untyped-def]
    import pymysql

    parsed = urlparse(url)
    return pymysql.connect(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 3306,
        user=parsed.username or "root",
        password=parsed.password or "",
        autocommit=True,
    )


def create_mysql_database(admin_url: str) -> str:
    name = f"roomgate_t_{uuid.uuid4().hex[:10]}"
    conn = _mysql_connect(admin_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    finally:
        conn.close()
    return _with_database(admin_url, name)


def drop_mysql_database(admin_url: str, url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    conn = _mysql_connect(admin_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()
