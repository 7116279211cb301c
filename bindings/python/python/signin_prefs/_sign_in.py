"""An administrator's own sign-in by device code, kept for later runs: `login` and `logout`, the
same sequence as ``signin-prefs login`` and ``logout``, with the settings `Client.from_env`
reads (the config file or its ``profile``, the environment over them)."""

from __future__ import annotations

import os
import sys

from . import _native
from ._deferred import defer_annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional, Union

__all__ = ["DeviceCodePrompt", "login", "logout"]


class DeviceCodePrompt:
    """What the administrator is asked to do: open ``verification_uri`` on any device and type
    ``user_code`` within ``expires_in`` seconds; ``message`` is the service's own wording."""

    __slots__ = ("user_code", "verification_uri", "message", "expires_in")

    def __init__(self, user_code: str, verification_uri: str, message: str, expires_in: float) -> None:
        self.user_code = user_code
        self.verification_uri = verification_uri
        self.message = message
        self.expires_in = expires_in

    def __repr__(self) -> str:
        return f"DeviceCodePrompt(user_code={self.user_code!r}, verification_uri={self.verification_uri!r})"


def _to_stderr(prompt: DeviceCodePrompt) -> None:
    print(prompt.message, file=sys.stderr, flush=True)


def login(
    *,
    profile: Optional[str] = None,
    config: Optional[Union[str, os.PathLike[str]]] = None,
    prompt: Optional[Callable[[DeviceCodePrompt], object]] = None,
) -> Optional[str]:
    """Signs in as an administrator (Authentication Administrator or Privileged Authentication
    Administrator) with a device code, through the public client app the settings name
    (``SIGNIN_PREFS_TENANT_ID``, ``SIGNIN_PREFS_CLIENT_ID`` or a profile's), replacing the sign-in
    kept for that tenant and app. ``prompt`` is called once with a `DeviceCodePrompt` (default:
    its message printed to standard error); the call blocks until the code is entered or expires.
    Returns where the sign-in is kept (owner-only; ``SIGNIN_PREFS_TOKEN_CACHE``, default
    ``~/.cache/signin-prefs/token-cache.json``): later `Client.from_env` calls use it silently.
    Raises `ConfigurationError` when the tenant or app is not set, and `AuthenticationError` when
    the sign-in is declined or expires."""
    show = _to_stderr if prompt is None else prompt

    def shown(user_code: str, verification_uri: str, message: str, expires_in: float) -> None:
        show(DeviceCodePrompt(user_code, verification_uri, message, expires_in))

    return _native.login(profile, None if config is None else os.fspath(config), shown)


def logout(
    *,
    profile: Optional[str] = None,
    config: Optional[Union[str, os.PathLike[str]]] = None,
) -> bool:
    """Forgets the sign-in `login` kept for the settings' tenant and app (with neither set, every
    one); whether one was kept."""
    return _native.logout(profile, None if config is None else os.fspath(config))


defer_annotations(globals())
