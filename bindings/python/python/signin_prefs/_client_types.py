"""The types only `_client`'s annotations name: the settings clients are made with and the
``Self`` type of `from_env`. Loaded when those annotations are first read (`_deferred`), with
`typing`, not at ``import signin_prefs``."""

import os
from typing import Optional, Sequence, TypedDict, TypeVar, Union

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._client import _ClientBase

__all__ = ["_ClientSettings", "_Self"]


class _ClientSettings(TypedDict, total=False):
    """The keyword arguments `Client` and `AsyncClient` are made with, beside ``credential``
    (documented on `Client`); each may be left out, or ``None``: the native client's default."""

    token: Optional[str]
    base_url: Optional[str]
    cloud: Optional[str]
    scopes: Optional[Sequence[str]]
    timeout: Optional[float]
    deadline: Optional[float]
    max_attempts: Optional[int]
    write_budget: Optional[str]
    tenant_write_budget: Optional[str]
    read_budget: Optional[str]
    reports_budget: Optional[str]
    ca_file: Optional[Union[str, "os.PathLike[str]"]]


_Self = TypeVar("_Self", bound="_ClientBase")
"""A client class's own type, as `from_env` returns it."""
