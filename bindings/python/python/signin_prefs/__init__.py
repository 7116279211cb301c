"""Read and set Microsoft Entra users' sign-in preferences through Microsoft Graph beta.

The Rust client does the work (auth, retries with Retry-After, pacing, typed errors); this package
gives it Python's idiom. See `Client`, `AsyncClient`, `signin_prefs.bulk` and
`signin_prefs.testing`.
"""

from ._native import __version__
from ._errors import (
    AuthenticationError,
    BulkError,
    BulkInterrupted,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    RequestTimeoutError,
    ServiceError,
    SignInPreferencesError,
    ThrottledError,
    TransportError,
    ValidationError,
)
from ._models import UNSET, SignInPreferences, Unset, UserDefaultAuthenticationMethodType
from ._client import AsyncClient, Client

__all__ = [
    "__version__",
    "AsyncClient",
    "Client",
    "SignInPreferences",
    "UNSET",
    "Unset",
    "UserDefaultAuthenticationMethodType",
    "SignInPreferencesError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ValidationError",
    "ThrottledError",
    "RequestTimeoutError",
    "TransportError",
    "ServiceError",
    "ConfigurationError",
    "BulkError",
    "BulkInterrupted",
]
