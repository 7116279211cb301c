"""A local Microsoft Graph for your own tests: the project's emulator, in this process.

    from signin_prefs.testing import Emulator

    with Emulator(users=100, seed=7) as emulator:
        client = signin_prefs.Client(token=emulator.token, base_url=emulator.base_url)
        ...
        assert emulator.user(user_id)["user_preferred_method_for_secondary_authentication"] == "oath"
"""

from __future__ import annotations

import json
from types import TracebackType
import os
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Type, Union, cast

from . import _native
from ._client import AsyncClient, Client

__all__ = [
    "Emulator",
    "READ",
    "READ_ALL",
    "READ_WRITE",
    "READ_WRITE_ALL",
    "POLICY_READ_ALL",
]

READ = "UserAuthenticationMethod.Read"
READ_ALL = "UserAuthenticationMethod.Read.All"
READ_WRITE = "UserAuthenticationMethod.ReadWrite"
READ_WRITE_ALL = "UserAuthenticationMethod.ReadWrite.All"
# `bulk.plan` reads the tenant's authentication methods policy, which needs this (or the narrower
# Policy.Read.AuthenticationMethod).
POLICY_READ_ALL = "Policy.Read.All"


class Emulator:
    """A running emulator on 127.0.0.1 (a context manager; ``shutdown`` stops it).

    ``users`` seeded users (the same for the same ``seed``), throttling off unless ``throttle``;
    ``disabled_percent`` of them disabled (``accountEnabled`` false). ``writes_per_150s`` turns
    throttling on with Graph's budgets but that many writes per 150 s per app and tenant, fewer
    than a client assumes, so a run meets 429s and waits them out as on a busy tenant;
    ``time_scale`` runs the emulator's clock that many times faster (the CLI's ``signin-prefs
    emulator --writes-per-150s`` and ``--time-scale``). ``tls_ca_file`` serves HTTPS instead,
    writing the CA clients must trust to that file (``ca_file=`` of a client,
    ``SIGNIN_PREFS_CA_FILE``, ``REQUESTS_CA_BUNDLE``); ``device_code_approval="manual"`` leaves
    device-code sign-ins waiting for `approve_device_code` (default: approved at once as a
    Privileged Authentication Administrator), polled every ``device_code_interval`` seconds.
    ``base_url`` and ``token`` (app-only, ``UserAuthenticationMethod.ReadWrite.All`` and
    ``Policy.Read.All``, so that ``bulk.plan`` can read the authentication methods policy) are what
    a client needs; ``user(key)`` shows a user's state as the service holds it.
    """

    base_url: str
    token: str

    def __init__(
        self,
        *,
        users: int = 100,
        seed: int = 0,
        throttle: bool = False,
        disabled_percent: int = 0,
        writes_per_150s: Optional[int] = None,
        time_scale: float = 1.0,
        tls_ca_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        device_code_approval: str = "automatic",
        device_code_interval: int = 5,
    ) -> None:
        self._native = _native.NativeEmulator(
            users=users,
            seed=seed,
            throttle=throttle,
            disabled_percent=disabled_percent,
            writes_per_150s=writes_per_150s,
            time_scale=time_scale,
            tls_ca_file=None if tls_ca_file is None else os.fspath(tls_ca_file),
            device_code_approval=device_code_approval,
            device_code_interval=device_code_interval,
        )
        self.tls_ca_file = None if tls_ca_file is None else os.fspath(tls_ca_file)
        self.base_url = self._native.base_url
        self.token = self._native.mint_token(roles=[READ_WRITE_ALL, POLICY_READ_ALL])

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.shutdown()

    def __iter__(self) -> Iterator[str]:
        """``base_url, token = emulator``."""
        return iter((self.base_url, self.token))

    @property
    def token_url(self) -> str:
        """The client-credentials token endpoint of the emulated tenant."""
        return self._native.token_url

    @property
    def tenant_id(self) -> str:
        """The emulated tenant's id."""
        return self._native.tenant_id

    @property
    def client_credentials(self) -> Tuple[str, str]:
        """The default app's client id and secret, for the token endpoint."""
        return self._native.client_credentials

    @property
    def user_count(self) -> int:
        """Number of users."""
        return self._native.user_count

    def client(self, **options: Any) -> Client:
        """A `Client` for this emulator with its token (trusting its CA when it serves HTTPS)."""
        options.setdefault("ca_file", self.tls_ca_file)
        return Client(token=self.token, base_url=self.base_url, **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An `AsyncClient` for this emulator with its token (trusting its CA over HTTPS)."""
        options.setdefault("ca_file", self.tls_ca_file)
        return AsyncClient(token=self.token, base_url=self.base_url, **options)

    @property
    def ca_certificate_pem(self) -> Optional[str]:
        """With ``tls_ca_file``: the certificate (PEM) of the CA that signed the emulator's."""
        return self._native.ca_certificate_pem

    def register_certificate(self, client_id: str, pem: str) -> None:
        """Registers a certificate (PEM) whose key may sign ``client_id``'s client assertions, as
        uploading it to an app registration does (``AZURE_CLIENT_CERTIFICATE_PATH``)."""
        self._native.register_certificate(client_id, pem)

    def federated_token(self, client_id: str, *, lifetime: Optional[float] = None) -> str:
        """A federated token the login host accepts as ``client_id``'s client assertion, as AKS or
        GitHub Actions write into ``AZURE_FEDERATED_TOKEN_FILE``; valid ``lifetime`` seconds
        (default an hour)."""
        return self._native.federated_token(client_id, lifetime=lifetime)

    @property
    def imds_url(self) -> str:
        """A VM's managed-identity endpoint (IMDS-shaped); ``AZURE_POD_IDENTITY_AUTHORITY_HOST`` takes
        the emulator's ``base_url`` to reach it."""
        return self._native.imds_url

    @property
    def identity_endpoint(self) -> str:
        """App Service's ``IDENTITY_ENDPOINT`` on this emulator."""
        return self._native.identity_endpoint

    @property
    def identity_header(self) -> str:
        """App Service's ``IDENTITY_HEADER`` for this emulator."""
        return self._native.identity_header

    def pending_device_codes(self) -> List[str]:
        """The user codes of device-code sign-ins waiting for a user (with
        ``device_code_approval="manual"``; automatic approval leaves none waiting)."""
        return self._native.pending_device_codes()

    def approve_device_code(
        self, user_code: str, user: str, *, roles: Optional[Sequence[str]] = None
    ) -> None:
        """Signs ``user`` in on a waiting device code, holding ``roles`` (``"authenticationAdministrator"``,
        ``"privilegedAuthenticationAdministrator"`` (the default), ``"globalReader"``)."""
        self._native.approve_device_code(user_code, user, roles=None if roles is None else list(roles))

    def decline_device_code(self, user_code: str) -> None:
        """Declines a waiting device code: the sign-in fails as ``authorization_declined``."""
        self._native.decline_device_code(user_code)

    def mint_token(
        self,
        *,
        roles: Optional[Sequence[str]] = None,
        scopes: Optional[Sequence[str]] = None,
        user: Optional[str] = None,
        expires_in: Optional[int] = None,
    ) -> str:
        """A token with exactly these app roles, or, with ``user``, these delegated scopes;
        ``expires_in=0`` gives an expired one."""
        return self._native.mint_token(
            roles=None if roles is None else list(roles),
            scopes=None if scopes is None else list(scopes),
            user=user,
            expires_in=expires_in,
        )

    def user(self, key: str) -> Optional[Dict[str, Any]]:
        """The user with this object id or UPN: ``id``, ``user_principal_name``, ``account_enabled``, ``methods``,
        ``user_preferred_method_for_secondary_authentication``,
        ``is_system_preferred_authentication_method_enabled`` (``None`` for null), or ``None``."""
        return self._native.user(key)

    def user_at(self, index: int) -> Optional[Dict[str, Any]]:
        """The user at this seeding index, as `user` gives it."""
        return self._native.user_at(index)

    def set_user_state(
        self,
        key: str,
        *,
        methods: Optional[Sequence[str]] = None,
        preferred: Optional[str] = None,
        system_preferred: Optional[bool] = None,
    ) -> Dict[str, Any]:
        """Sets a user's registered methods (``"mobilePhone"``, ``"softwareOath"``, ...; ``None``
        keeps them) and preferences (``None`` is null); returns the new state."""
        return self._native.set_user_state(
            key,
            methods=None if methods is None else list(methods),
            preferred=preferred,
            system_preferred=system_preferred,
        )

    def add_fault(
        self,
        route: str,
        kind: str,
        *,
        user: Optional[str] = None,
        seconds: float = 0.0,
        times: Optional[int] = None,
        probability: float = 1.0,
    ) -> None:
        """Injects a fault: ``kind`` (``"unavailable"``, ``"gateway_timeout"``, ``"reset"``,
        ``"delay"``, ``"truncated"``, ``"malformed"``) on ``route`` (``"any"``, ``"get"``,
        ``"update"``, ``"methods"``, ``"batch"``)."""
        self._native.add_fault(
            route, kind, user=user, seconds=seconds, times=times, probability=probability
        )

    def clear_faults(self) -> None:
        """Removes every fault."""
        self._native.clear_faults()

    def authentication_methods_policy(self) -> Dict[str, Any]:
        """The authentication methods policy the tenant serves (``GET
        /policies/authenticationMethodsPolicy``), as a dict."""
        return cast(Dict[str, Any], json.loads(self._native.authentication_methods_policy()))

    def set_authentication_methods_policy(self, policy: Mapping[str, Any]) -> None:
        """Replaces the authentication methods policy; served verbatim from the next request.
        Plans read it: a method configuration (``"id": "MicrosoftAuthenticator"``, ``"Sms"``, …)
        with ``"state": "disabled"``, or whose ``includeTargets``/``excludeTargets`` groups leave a
        user out, keeps that method from the user."""
        self._native.set_authentication_methods_policy(json.dumps(policy))

    def set_method_state(self, configuration_id: str, state: str) -> Dict[str, Any]:
        """Sets the ``state`` (``"enabled"`` or ``"disabled"``) of the policy's method
        configuration ``configuration_id`` (``"MicrosoftAuthenticator"``, ``"SoftwareOath"``, …),
        leaving the rest of the policy as it is, and returns the policy as it was, for
        :meth:`set_authentication_methods_policy` to restore."""
        before = self.authentication_methods_policy()
        changed = json.loads(json.dumps(before))
        configurations = changed["authenticationMethodConfigurations"]
        found = [c for c in configurations if c["id"].lower() == configuration_id.lower()]
        if not found:
            raise KeyError(f"the policy has no method configuration {configuration_id!r}")
        for configuration in found:
            configuration["state"] = state
        self.set_authentication_methods_policy(changed)
        return before

    def throttle_priorities(self) -> Dict[str, int]:
        """How many Graph requests carried each ``x-ms-throttle-priority`` so far: ``absent``,
        ``low``, ``normal`` (also any unknown value, as the service reads it) and ``high``."""
        return self._native.throttle_priorities()

    def shutdown(self) -> None:
        """Stops the server (idempotent)."""
        self._native.shutdown()

    def __repr__(self) -> str:
        return f"Emulator(base_url={self.base_url!r})"
