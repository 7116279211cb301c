"""Readiness for the SMS and voice retirement from Python (``bulk.readiness``): the CLI's
``readiness``, the same library function underneath, its counts typed and its per-user rows read
back one at a time from the per-user CSV."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from typing import Dict, Iterator, Optional, Tuple, Union

from . import _native
from ._client import AsyncClient, Client
from ._models import UserDefaultAuthenticationMethodType
from ._typing import Priority

__all__ = ["Readiness", "ReadinessSummary", "ReadinessUser", "readiness"]

PathLike = Union[str, "os.PathLike[str]"]
AnyClient = Union[Client, AsyncClient]


@dataclass(frozen=True)
class ReadinessSummary:
    """The tenant's counts, as ``signin-prefs readiness --output json`` prints them (there in
    camelCase). Every user is in exactly one ``by_default_method`` entry (``"none"``: no
    default); each other count is of the users with that property."""

    users: int
    """Users the registration report lists."""
    by_default_method: Dict[str, int]
    """Users per default method."""
    phone_default: int
    """Users whose default is SMS or a voice call."""
    phone_default_movable: int
    """Of those, users who could be moved now: Authenticator push or OATH is registered and (when
    the policy was read) allowed by the policy: those ``plan(methods=["push", "oath"])`` would
    change."""
    must_register: int
    """Users with no method that allows Authenticator push or OATH: they must register first."""
    only_phone_methods: int
    """Users whose only second factors are phone numbers."""
    system_preferred: int
    """Users with system-preferred MFA on."""
    policy_read: bool
    """Whether the authentication methods policy was read (``False`` with ``ignore_policy``: the
    counts below are then ``None``)."""
    policy_keeps_from_push: Optional[int]
    """Users the policy keeps from Authenticator push (the method disabled, the user excluded,
    or included only others)."""
    policy_keeps_from_oath: Optional[int]
    """Users the policy keeps from OATH (software and hardware tokens alike)."""
    policy_keeps_from_both: Optional[int]
    """Users the policy keeps from both: they cannot move off SMS or voice until it changes."""
    system_preferred_applies: Optional[int]
    """Users system-preferred MFA applies to, the tenant's policy and their flag together: their
    default method matters only to the NPS extension and the AD FS adapter."""


@dataclass(frozen=True)
class ReadinessUser:
    """One user, one row of the per-user CSV (whose columns are these fields in camelCase)."""

    user: str
    """The user principal name (or, without one, the object id)."""
    id: Optional[str]
    """The object id."""
    default_method: Optional[UserDefaultAuthenticationMethodType]
    """The default method; ``None`` when unset."""
    system_preferred: Optional[bool]
    """``isSystemPreferredAuthenticationMethodEnabled``, ``None`` when the report omits it."""
    methods_registered: Tuple[str, ...]
    """The registered methods, as the report names them."""
    phone_default: bool
    """The default is SMS or a voice call."""
    must_register: bool
    """No registered method allows Authenticator push or OATH."""
    only_phone_methods: bool
    """The user's only second factors are phone numbers."""
    policy_keeps_from_push: Optional[bool]
    """The policy keeps the user from Authenticator push; ``None`` when it was not read."""
    policy_keeps_from_oath: Optional[bool]
    """The policy keeps the user from OATH; ``None`` when it was not read."""
    policy_reason: str
    """Which configuration keeps the user from which method, and why; empty when none does."""
    system_preferred_applies: Optional[bool]
    """System-preferred MFA applies to the user (the tenant's policy and the flag); ``None`` when
    that cannot be told (the policy was not read)."""


def _yes(value: str) -> Optional[bool]:
    """The CSV's ``yes``/``no``, and empty for unknown."""
    return None if value == "" else value == "yes"


def _user(row: Dict[str, str]) -> ReadinessUser:
    def flag(column: str) -> bool:
        return row[column] == "yes"

    return ReadinessUser(
        user=row["user"],
        id=row["id"] or None,
        default_method=(
            UserDefaultAuthenticationMethodType(row["defaultMethod"]) if row["defaultMethod"] else None
        ),
        system_preferred=_yes(row["systemPreferred"]),
        methods_registered=tuple(name for name in row["methodsRegistered"].split(";") if name),
        phone_default=flag("phoneDefault"),
        must_register=flag("mustRegister"),
        only_phone_methods=flag("onlyPhoneMethods"),
        policy_keeps_from_push=_yes(row["policyKeepsFromPush"]),
        policy_keeps_from_oath=_yes(row["policyKeepsFromOath"]),
        policy_reason=row["policyReason"],
        system_preferred_applies=_yes(row["systemPreferredApplies"]),
    )


def _snake(name: str) -> str:
    return re.sub("([A-Z])", r"_\1", name).lower()


class Readiness:
    """What :func:`readiness` found: ``summary`` (the counts) and ``iter_users()`` (one
    `ReadinessUser` per user, read from the per-user CSV as they are asked for, so a large
    tenant's users are never all held). ``users_csv`` is the CSV's path when the caller asked for
    one; otherwise the rows live in a private temporary file removed with this object."""

    def __init__(self, summary: ReadinessSummary, rows_path: str, users_csv: Optional[str]) -> None:
        self.summary = summary
        self.users_csv = users_csv
        self._rows_path = rows_path

    def iter_users(self) -> Iterator[ReadinessUser]:
        """The users, in the report's order."""
        with open(self._rows_path, newline="", encoding="utf-8") as file:
            for row in csv.DictReader(file):
                yield _user(row)

    def __repr__(self) -> str:
        return f"Readiness(summary={self.summary!r}, users_csv={self.users_csv!r})"


def readiness(
    client: AnyClient,
    users_csv: Optional[PathLike] = None,
    *,
    ignore_policy: bool = False,
    priority: Priority = "low",
    html: Optional[PathLike] = None,
) -> Readiness:
    """Counts who the SMS and voice retirement (1 February 2027) concerns, from one read of the
    tenant's authentication methods policy and of its registration report, as ``signin-prefs
    readiness`` does. Sends no write.

    The policy is read first (it needs ``Policy.Read.All`` or
    ``Policy.Read.AuthenticationMethod``; each group its targets name is listed once, through its
    transitive members): without the permission this raises before any user is read, naming it
    and ``--ignore-policy``; ``ignore_policy=True`` counts without the policy (its counts and
    row fields are then ``None``). The report needs Entra ID P1 or P2 and ``AuditLog.Read.All``.

    ``users_csv``: also keep one row per user in this new CSV file, written owner-only; a file
    already there is refused (``BulkError``) before anything is sent, and never replaced. A read
    that fails leaves no file.

    ``html``: also write the page ``signin-prefs readiness --output html`` writes (counts,
    charts, and a table of every user that filters and sorts in the browser) to this new
    owner-only file; a file already there is refused (``BulkError``) before anything is sent.

    Every request carries ``x-ms-throttle-priority: low`` unless ``priority`` says otherwise
    (``"normal"``, ``"high"``), as the CLI's ``--priority``."""
    own_dir: Optional[str] = None
    if users_csv is None:
        own_dir = tempfile.mkdtemp(prefix="signin-prefs-readiness-")
        rows_path = os.path.join(own_dir, "users.csv")
    else:
        rows_path = os.fspath(users_csv)
    try:
        text = _native.readiness(
            client._native,
            rows_path,
            ignore_policy=ignore_policy,
            priority=priority,
            html=None if html is None else os.fspath(html),
        )
    except BaseException:
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)
        raise
    counts = {_snake(name): value for name, value in json.loads(text).items()}
    result = Readiness(ReadinessSummary(**counts), rows_path, None if own_dir else rows_path)
    if own_dir is not None:
        weakref.finalize(result, shutil.rmtree, own_dir, ignore_errors=True)
    return result
