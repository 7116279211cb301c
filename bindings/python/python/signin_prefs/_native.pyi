"""The native module (Rust, pyo3). Private: use the `signin_prefs` package."""

import sys
from typing import Any, Awaitable, Callable, Dict, List, Literal, Optional, Tuple, final

from ._client_types import _ClientSettings
from ._credentials import AnyTokenCredential
from .bulk import PlanSettings, RunSettings

if sys.version_info >= (3, 11):
    from typing import Unpack
else:
    from typing_extensions import Unpack

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CONCURRENCY",
    "NativeClient",
    "NativeEmulator",
    "NativeReport",
    "NativeStop",
    "NativeTask",
    "USER_DEFAULT_AUTHENTICATION_METHOD_TYPE_MEMBERS",
    "__version__",
    "cli_main",
    "login",
    "logout",
    "plan",
    "readiness",
    "report",
    "run_journaled",
]

__version__: str
DEFAULT_BATCH_SIZE: int
DEFAULT_CONCURRENCY: int
USER_DEFAULT_AUTHENTICATION_METHOD_TYPE_MEMBERS: List[str]

@final
class NativeClient:
    def __new__(
        cls, *, credential: Optional[AnyTokenCredential] = None, **settings: Unpack[_ClientSettings]
    ) -> NativeClient: ...
    @staticmethod
    def from_env(profile: Optional[str] = None, config: Optional[str] = None) -> NativeClient: ...
    @property
    def credential_choice(self) -> Optional[Tuple[str, str]]: ...
    @property
    def base_url(self) -> str: ...
    def get(self, user: str) -> str: ...
    def update(self, user: str, patch_json: str) -> None: ...
    def get_async(self, user: str) -> Any: ...
    def update_async(self, user: str, patch_json: str) -> Any: ...

@final
class NativeReport:
    @property
    def verdict(self) -> str: ...
    @property
    def counts(self) -> Dict[str, int]: ...
    @property
    def finished(self) -> bool: ...
    def to_json(self) -> str: ...
    def write_html(self, path: str) -> None: ...

@final
class NativeStop:
    def __new__(cls) -> NativeStop: ...
    def stop(self) -> None: ...
    @property
    def stopped(self) -> bool: ...

@final
class NativeTask:
    def wait(self, progress: Optional[Callable[[Dict[str, Any]], object]] = None) -> Any: ...
    def wait_async(self) -> Awaitable[Any]: ...
    def progress_snapshot(self, *, last: bool = False) -> Optional[Dict[str, Any]]: ...

@final
class NativeEmulator:
    def __new__(
        cls,
        *,
        users: int = 100,
        seed: int = 0,
        throttle: bool = False,
        disabled_percent: int = 0,
        writes_per_150s: Optional[int] = None,
        time_scale: float = 1.0,
        tls_ca_file: Optional[str] = None,
        device_code_approval: str = "automatic",
        device_code_interval: int = 5,
    ) -> NativeEmulator: ...
    @property
    def base_url(self) -> str: ...
    @property
    def token_url(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def client_credentials(self) -> Tuple[str, str]: ...
    @property
    def user_count(self) -> int: ...
    def mint_token(
        self,
        *,
        roles: Optional[List[str]] = None,
        scopes: Optional[List[str]] = None,
        user: Optional[str] = None,
        expires_in: Optional[int] = None,
    ) -> str: ...
    def user(self, key: str) -> Optional[Dict[str, Any]]: ...
    def user_at(self, index: int) -> Optional[Dict[str, Any]]: ...
    def set_user_state(
        self,
        key: str,
        *,
        methods: Optional[List[str]] = None,
        preferred: Optional[str] = None,
        system_preferred: Optional[bool] = None,
    ) -> Dict[str, Any]: ...
    def add_fault(
        self,
        route: str,
        kind: str,
        *,
        user: Optional[str] = None,
        seconds: float = 0.0,
        times: Optional[int] = None,
        probability: float = 1.0,
    ) -> None: ...
    def clear_faults(self) -> None: ...
    def authentication_methods_policy(self) -> str: ...
    def set_authentication_methods_policy(self, policy: str) -> None: ...
    def throttle_priorities(self) -> Dict[str, int]: ...
    @property
    def ca_certificate_pem(self) -> Optional[str]: ...
    def register_certificate(self, client_id: str, pem: str) -> None: ...
    def federated_token(self, client_id: str, *, lifetime: Optional[float] = None) -> str: ...
    @property
    def imds_url(self) -> str: ...
    @property
    def identity_endpoint(self) -> str: ...
    @property
    def identity_header(self) -> str: ...
    def pending_device_codes(self) -> List[str]: ...
    def approve_device_code(
        self, user_code: str, user: str, *, roles: Optional[List[str]] = None
    ) -> None: ...
    def decline_device_code(self, user_code: str) -> None: ...
    def shutdown(self) -> None: ...

def cli_main(argv: List[str]) -> int: ...
def plan(
    client: NativeClient,
    targets_path: str,
    plan_path: str,
    *,
    stop: Optional[NativeStop] = None,
    users_json: Optional[bytes] = None,
    **settings: Unpack[PlanSettings],
) -> NativeTask: ...
def login(
    profile: Optional[str],
    config: Optional[str],
    show: Callable[[str, str, str, float], None],
) -> Optional[str]: ...
def logout(profile: Optional[str], config: Optional[str]) -> bool: ...
def report(journal_path: str, *, plan_path: Optional[str] = None) -> NativeReport: ...
def readiness(
    client: NativeClient,
    users_csv: str,
    *,
    ignore_policy: bool = False,
    priority: str = "low",
    html: Optional[str] = None,
) -> str: ...
def run_journaled(
    kind: Literal["apply", "rollback"],
    client: NativeClient,
    input_path: str,
    journal_path: str,
    *,
    stop: Optional[NativeStop] = None,
    **settings: Unpack[RunSettings],
) -> NativeTask: ...
