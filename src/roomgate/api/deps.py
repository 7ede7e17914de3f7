"""FastAPI dependencies: the container and admin authentication."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from roomgate.container import Container
from roomgate.domain.errors import DomainError, ErrorCode


def get_container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


ContainerDep = Annotated[Container, Depends(get_container)]


def require_admin(container: ContainerDep, authorization: Annotated[str | None, Header()] = None) -> None:
    """Bearer token from ROOMGATE_ADMIN_TOKEN; without a configured token, admin endpoints are closed."""
    expected = container.settings.admin_token
    scheme, _, token = (authorization or "").partition(" ")
    if (
        expected is None
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
    ):
        raise DomainError(ErrorCode.UNAUTHORIZED)


AdminDep = Annotated[None, Depends(require_admin)]
