"""The native module (Rust, pyo3). Private: use the `signin_prefs` package."""

from typing import Any, Dict, List, Optional, Tuple, final

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CONCURRENCY",
    "NativeClient",
    "NativeEmulator",
    "NativeReport",
    "USER_DEFAULT_AUTHENTICATION_METHOD_TYPE_MEMBERS",
    "__version__",
    "apply",
    "plan",
    "rollback",
]

__version__: str
DEFAULT_BATCH_SIZE: int
DEFAULT_CONCURRENCY: int
USER_DEFAULT_AUTHENTICATION_METHOD_TYPE_MEMBERS: List[str]

@final
class NativeClient:
    def __new__(
        cls,
        *,
        credential: Optional[Any] = None,
        token: Optional[str] = None,
        base_url: Optional[str] = None,
        cloud: Optional[str] = None,
        scopes: Optional[List[str]] = None,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_attempts: Optional[int] = None,
        write_budget: Optional[str] = None,
        tenant_write_budget: Optional[str] = None,
        read_budget: Optional[str] = None,
        reports_budget: Optional[str] = None,
    ) -> NativeClient: ...
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

@final
class NativeEmulator:
    def __new__(cls, *, users: int = 100, seed: int = 0, throttle: bool = False) -> NativeEmulator: ...
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
    def shutdown(self) -> None: ...

def plan(
    client: NativeClient,
    targets_path: str,
    plan_path: str,
    *,
    methods: List[str] = ...,
    system_preferred: Optional[bool] = None,
    exclude: List[str] = ...,
    only_from: List[str] = ...,
    max_changes: Optional[int] = None,
    from_report: bool = False,
    read_path: str = "auto",
) -> str: ...
def apply(
    client: NativeClient,
    plan_path: str,
    journal_path: str,
    *,
    resume: bool = False,
    verify: bool = False,
    batch_size: Optional[int] = None,
    concurrency: Optional[int] = None,
    max_duration: Optional[float] = None,
) -> NativeReport: ...
def rollback(
    client: NativeClient,
    applied_journal_path: str,
    journal_path: str,
    *,
    resume: bool = False,
    verify: bool = False,
    batch_size: Optional[int] = None,
    concurrency: Optional[int] = None,
    max_duration: Optional[float] = None,
) -> NativeReport: ...
