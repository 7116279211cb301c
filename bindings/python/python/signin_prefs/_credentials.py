"""What ``credential=`` takes, as protocols: anything with azure-identity's ``get_token`` shape,
synchronous (`TokenCredential`, for `Client` and `AsyncClient`) or a coroutine
(`AsyncTokenCredential`, for `AsyncClient`). No Azure package is needed to satisfy them."""

from __future__ import annotations

from typing import Protocol, Union, runtime_checkable

__all__ = ["AccessTokenLike", "TokenCredential", "AsyncTokenCredential", "AnyTokenCredential"]


class AccessTokenLike(Protocol):
    """What ``get_token`` returns: ``azure.core.credentials.AccessToken``'s two fields."""

    @property
    def token(self) -> str:
        """The bearer token."""
        ...

    @property
    def expires_on(self) -> int:
        """When it expires, in seconds since the Unix epoch."""
        ...


@runtime_checkable
class TokenCredential(Protocol):
    """A synchronous credential, such as any ``azure.identity`` one: ``get_token(*scopes)`` is
    called with the client's scopes (by default the cloud's ``https://graph…/.default``)."""

    def get_token(self, *scopes: str) -> AccessTokenLike:
        """A token for ``scopes``."""
        ...


@runtime_checkable
class AsyncTokenCredential(Protocol):
    """An asyncio credential, such as any ``azure.identity.aio`` one (`AsyncClient` only)."""

    async def get_token(self, *scopes: str) -> AccessTokenLike:
        """A token for ``scopes``."""
        ...


AnyTokenCredential = Union[TokenCredential, AsyncTokenCredential]
"""Either kind, as `AsyncClient` takes."""
