"""Read and set Microsoft Entra users' sign-in preferences through Microsoft Graph beta.

The Rust client does the work (auth, retries with Retry-After, pacing, typed errors); this package
gives it Python's idiom. See `Client`, `AsyncClient`, `signin_prefs.bulk`,
`signin_prefs.progress` and `signin_prefs.testing`, which ``import signin_prefs`` makes reachable
as attributes, each imported when first used (a script using only `Client` never loads them), as
are the types only annotations need (the credential protocols, the `Literal` of methods), which
load `typing`.
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
from ._sign_in import DeviceCodePrompt, login, logout

TYPE_CHECKING = False
if TYPE_CHECKING:
    # Type checkers see these as attributes; at run time `__getattr__` imports them on first use.
    from . import bulk as bulk, progress as progress, testing as testing
    from ._credentials import (
        AccessTokenLike as AccessTokenLike,
        AsyncTokenCredential as AsyncTokenCredential,
        TokenCredential as TokenCredential,
    )
    from ._generated_models import (
        UserDefaultAuthenticationMethodTypeLiteral as UserDefaultAuthenticationMethodTypeLiteral,
    )

__all__ = [
    "__version__",
    "AsyncClient",
    "Client",
    "SignInPreferences",
    "UNSET",
    "Unset",
    "UserDefaultAuthenticationMethodType",
    "UserDefaultAuthenticationMethodTypeLiteral",
    "TokenCredential",
    "AsyncTokenCredential",
    "AccessTokenLike",
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
    "DeviceCodePrompt",
    "login",
    "logout",
]

#: The submodules `__getattr__` imports on first use.
_SUBMODULES = ("bulk", "progress", "testing")


#: The public names of types that annotations use (the credential protocols, the `Literal` of
#: methods): they need `typing`, so `__getattr__` imports them on first use.
_TYPES = (
    "AccessTokenLike",
    "AsyncTokenCredential",
    "TokenCredential",
    "UserDefaultAuthenticationMethodTypeLiteral",
)


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        import importlib

        # Importing a submodule also binds it on the package: this runs once per name.
        return importlib.import_module(f"{__name__}.{name}")
    if name in _TYPES:
        from ._deferred import find

        value = find(__name__, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
