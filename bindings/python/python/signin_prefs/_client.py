"""`Client` (blocking) and `AsyncClient` (asyncio) over the Rust client.

Its annotations are evaluated when first read (`_deferred`), so that `typing.get_type_hints` and
`help()` show the values a parameter takes rather than an alias's name, while ``import
signin_prefs`` loads neither `typing` nor the modules of types they name.
"""

from __future__ import annotations

import os
from types import TracebackType

from . import _native
from ._deferred import defer_annotations
from ._models import (
    UNSET,
    SignInPreferences,
    Unset,
    UserDefaultAuthenticationMethodType,
    patch_json,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Tuple, Type, Union

    from ._client_types import _ClientSettings, _Self
    from ._credentials import AnyTokenCredential, TokenCredential
    from ._generated_models import UserDefaultAuthenticationMethodTypeLiteral
    from ._typing import Unpack

__all__ = ["Client", "AsyncClient"]


def _is_async_credential(credential: object) -> bool:
    import inspect

    get_token = getattr(credential, "get_token", None)
    if get_token is None or not callable(get_token):
        raise TypeError(
            f"{type(credential).__name__} is not a credential: it has no get_token(*scopes) method"
        )
    return inspect.iscoroutinefunction(get_token)


class _ClientBase:
    """What `Client` and `AsyncClient` share: the settings they are made with (documented on
    `Client`), the native client made from them, and where it sends requests."""

    def __init__(
        self,
        credential: Optional[AnyTokenCredential] = None,
        **settings: Unpack[_ClientSettings],
    ) -> None:
        if credential is not None:
            self._check_credential(credential)
        scopes = settings.get("scopes")
        if isinstance(scopes, str):
            raise TypeError(
                f"scopes must be a sequence of scopes such as [{scopes!r}], not a str"
            )
        if scopes is not None:
            settings["scopes"] = list(scopes)
        self._native = _native.NativeClient(credential=credential, **settings)

    @classmethod
    def from_env(
        cls: Type[_Self],
        profile: Optional[str] = None,
        config: Optional[Union[str, os.PathLike[str]]] = None,
    ) -> _Self:
        """A client configured exactly as the ``signin-prefs`` command line: the config file
        (``config``, else ``SIGNIN_PREFS_CONFIG``, else ``~/.config/signin-prefs/config.toml`` when
        it exists) or its named ``profile`` (a ``[profiles.NAME]`` table; else
        ``SIGNIN_PREFS_PROFILE``'s), with the environment over them: ``SIGNIN_PREFS_*`` settings, then the Azure SDKs' ``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID``,
        ``AZURE_CLIENT_SECRET``, ``AZURE_CLIENT_CERTIFICATE_PATH`` (PEM or PKCS#12, with
        ``AZURE_CLIENT_CERTIFICATE_PASSWORD``), ``AZURE_FEDERATED_TOKEN_FILE``,
        ``AZURE_AUTHORITY_HOST``, App Service's ``IDENTITY_ENDPOINT``/``IDENTITY_HEADER``, a sign-in
        kept by ``signin-prefs login``, or ``SIGNIN_PREFS_CREDENTIAL`` naming one
        (``managed-identity``, ``azure-cli``, …). `credential_choice` says which was chosen and why.
        Raises `ConfigurationError` (naming what to set) when nothing is configured, for a profile
        the file does not define, and when a variable contradicts one of the named profile's keys
        (a profile is never silently overridden)."""
        client = cls.__new__(cls)
        client._native = _native.NativeClient.from_env(
            profile, None if config is None else os.fspath(config)
        )
        return client

    @property
    def credential_choice(self) -> Optional[Tuple[str, str]]:
        """For a client made by `from_env`: the credential kind chosen (``"secret"``,
        ``"certificate"``, ``"workload-identity"``, ``"managed-identity"``, ``"azure-cli"``,
        ``"device-code"``, ``"token"``) and why; ``None`` otherwise."""
        return self._native.credential_choice

    def _check_credential(self, credential: AnyTokenCredential) -> None:
        """Raises `TypeError` for what is not a credential; either kind is taken here."""
        _is_async_credential(credential)

    @property
    def base_url(self) -> str:
        """The Graph origin requests go to."""
        return self._native.base_url


class Client(_ClientBase):
    """A blocking client. Thread-safe: share one between threads; each call releases the GIL
    while it waits.

    Args:
        credential: anything with ``get_token(*scopes)`` returning an object with ``.token`` and
            ``.expires_on``, such as any synchronous ``azure.identity`` credential.
        token: a bearer token to use as is (instead of ``credential``).
        base_url: an explicit Graph origin, such as the emulator's ``http://127.0.0.1:PORT``.
        cloud: ``"global"`` (default), ``"usgov"``, ``"usgov-dod"`` or ``"china"``.
        scopes: the scopes asked of the credential (default: the cloud's ``.default``).
        timeout: seconds to wait for one response.
        deadline: seconds for a whole call, retries included.
        max_attempts: attempts per call, the first included (throttling and transient failures
            are retried, honouring ``Retry-After``).
        write_budget, tenant_write_budget, read_budget, reports_budget: Graph's budgets the
            client paces itself to, as the CLI's settings of the same names: ``"3000/150s"``
            (writes per app and tenant), ``"18000/300s"`` (writes per tenant), ``"8000/10s"``
            (resource units per app and tenant), ``"5/10s"`` (report pages per app and tenant,
            assumed to cover the registration report) are Microsoft's documented figures and the
            defaults; ``"unknown"`` learns that budget from the service's refusals alone.
    """

    def _check_credential(self, credential: AnyTokenCredential) -> None:
        """Also refuses an asyncio credential, whose tokens this blocking client cannot await."""
        if _is_async_credential(credential):
            raise TypeError(
                "this credential's get_token is a coroutine function: use AsyncClient, or the "
                "synchronous credential (azure.identity rather than azure.identity.aio)"
            )

    def get(self, user: str) -> SignInPreferences:
        """A user's sign-in preferences (``user``: object id or user principal name)."""
        return SignInPreferences.from_json(self._native.get(user))

    def update(
        self,
        user: str,
        *,
        user_preferred_method_for_secondary_authentication: Union[
            UserDefaultAuthenticationMethodType, UserDefaultAuthenticationMethodTypeLiteral, Unset
        ] = UNSET,
        is_system_preferred_authentication_method_enabled: Union[bool, None, Unset] = UNSET,
    ) -> None:
        """Changes the given properties; those left `UNSET` are not sent, and leaving both so
        raises `ValidationError` (there is nothing to send). ``None`` sends ``null`` where the
        spec allows it (the system-preferred flag) and raises `ValidationError` where it does
        not (the default method). The method is a `UserDefaultAuthenticationMethodType` or its
        value (``"push"``, ``"oath"``, ``"sms"``, ...: `UserDefaultAuthenticationMethodTypeLiteral`
        lists them), checked by the same parser as the CLI's before anything is sent."""
        body = patch_json(
            user_preferred_method_for_secondary_authentication,
            is_system_preferred_authentication_method_enabled,
        )
        self._native.update(user, body)

    def close(self) -> None:
        """Nothing to release (connections close when the client is garbage-collected); kept so
        the client works as a context manager."""

    def __init__(
        self,
        credential: Optional[TokenCredential] = None,
        **settings: Unpack[_ClientSettings],
    ) -> None:
        super().__init__(credential, **settings)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r})"


class AsyncClient(_ClientBase):
    """An asyncio client: the same calls as `Client`, as coroutines driven by the Rust runtime.
    Accepts ``azure.identity.aio`` credentials (``async def get_token``) and synchronous ones."""

    async def get(self, user: str) -> SignInPreferences:
        """A user's sign-in preferences (``user``: object id or user principal name)."""
        return SignInPreferences.from_json(await self._native.get_async(user))

    async def update(
        self,
        user: str,
        *,
        user_preferred_method_for_secondary_authentication: Union[
            UserDefaultAuthenticationMethodType, UserDefaultAuthenticationMethodTypeLiteral, Unset
        ] = UNSET,
        is_system_preferred_authentication_method_enabled: Union[bool, None, Unset] = UNSET,
    ) -> None:
        """As `Client.update`."""
        body = patch_json(
            user_preferred_method_for_secondary_authentication,
            is_system_preferred_authentication_method_enabled,
        )
        await self._native.update_async(user, body)

    async def close(self) -> None:
        """Nothing to release; kept so the client works as an async context manager."""

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self.base_url!r})"


defer_annotations(globals())
