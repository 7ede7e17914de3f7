"""FastAPI dependencies: the container and admin authentication."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from roomgate.container import Container
from roomgate.domain.errors import DomainError, ErrorCode


def get_container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


ContainerDep = Annotated[Container, Depends(get_container)]


# Documented as the HTTP bearer security scheme (the Authorize button of /docs); checked below so a
# missing or wrong token is the spec's 401 with `WWW-Authenticate: Bearer`.
ADMIN_BEARER = HTTPBearer(
    scheme_name="adminToken", description="ROOMGATE_ADMIN_TOKEN (the demo prints one)", auto_error=False
)


def require_admin(
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(ADMIN_BEARER)],
) -> None:
    """Bearer token from ROOMGATE_ADMIN_TOKEN; without a configured token, admin endpoints are closed."""
    expected = container.settings.admin_token
    token = credentials.credentials if credentials is not None else ""
    if expected is None or not hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
        raise DomainError(ErrorCode.UNAUTHORIZED)


AdminDep = Annotated[None, Depends(require_admin)]
