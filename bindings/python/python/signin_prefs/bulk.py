"""Bulk changes from Python: the CLI's engine (readiness, plan file, journal, resume, rollback,
report).

    ready = bulk.readiness(client, "users-now.csv")  # who the SMS/voice retirement concerns
    plan = bulk.plan(client, "targets.csv", "plan.json", methods=["oath", "push"])
    report = bulk.apply(client, "plan.json", "apply.journal")      # resume=True after a kill
    undo = bulk.rollback(client, "apply.journal", "rollback.journal")

Every call blocks with the GIL released (other threads run) and raises the package's exceptions.
"""

from __future__ import annotations

import json
import os
import sys
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterator,
    List,
    Literal,
    Optional,
    Sequence,
    TypedDict,
    Union,
)

from . import _native
from ._client import AsyncClient, Client
from ._readiness import Readiness, ReadinessSummary, ReadinessUser, readiness

if TYPE_CHECKING:
    # Only for type checkers, which all know both modules: nothing is imported at runtime.
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CONCURRENCY",
    "Plan",
    "Priority",
    "Readiness",
    "ReadinessSummary",
    "ReadinessUser",
    "Report",
    "RunSettings",
    "readiness",
    "plan",
    "apply",
    "rollback",
]

DEFAULT_BATCH_SIZE: int = _native.DEFAULT_BATCH_SIZE
"""PATCHes per ``$batch`` when ``batch_size`` is left at ``None`` (the engine's default)."""

DEFAULT_CONCURRENCY: int = _native.DEFAULT_CONCURRENCY
"""``$batch``es in flight when ``concurrency`` is left at ``None`` (the engine's default)."""

PathLike = Union[str, "os.PathLike[str]"]
# A union of single literals, not `Literal["low", "normal", "high"]`: the same type to mypy, but a
# `Union` at runtime too, which is what stubtest compares the alias with.
Priority = Union[Literal["low"], Literal["normal"], Literal["high"]]
"""An ``x-ms-throttle-priority`` value, which every bulk function takes (checked in any letter case
by the native parser, the client crate's one)."""
AnyClient = Union[Client, AsyncClient]


class RunSettings(TypedDict, total=False):
    """The keyword arguments :func:`apply` and :func:`rollback` both take; each may be left out."""

    resume: bool
    """Continue the run the journal records (after a crash or a kill); default ``False``."""
    verify: bool
    """Read each changed user back as its batch answers; default ``False``. A read-back is tried
    again when it fails; a user it still cannot read is reported ``unverified`` (counted in
    ``Report.counts``, and the verdict is ``"partial"``)."""
    batch_size: Optional[int]
    """PATCHes per ``$batch``, 1 to 20; ``None`` (the default): `DEFAULT_BATCH_SIZE`."""
    concurrency: Optional[int]
    """``$batch``es in flight, 1 to 32; ``None`` (the default): `DEFAULT_CONCURRENCY`."""
    max_duration: Optional[float]
    """Seconds after which sending stops: users not reached are reported so, and ``resume=True``
    continues them; ``None`` (the default): no limit."""
    allow_drift: bool
    """:func:`apply` only: write users whose values changed since the plan was made. Each window
    of users is read just before it is written; without it (``False``, the default) a user who no
    longer holds what the plan recorded is left as it is, reported as ``drifted`` (with
    ``before``, the plan's values, and ``now``, those read); with it such a user is written and
    the journal records the values read, so a rollback restores them. A rollback refuses it: it
    never overwrites a user changed since the apply."""
    priority: Priority
    """The ``x-ms-throttle-priority`` every request carries: ``"low"`` (the default: Graph
    throttles low-priority requests first when it must shed load, and a bulk run can wait),
    ``"normal"`` or ``"high"`` (for requests a person waits on). It changes no limit."""


#: The summary's counts of where new defaults count: among the changes, not actions of their own.
_REACH_COUNTS = ("takesEffect", "npsAdfsOnly")


class Plan:
    """A plan as written to its file: ``summary`` (counts per action) and ``entries`` (one dict
    per targeted user: ``user``, ``current``, ``target``, ``action``, ``reason``, ...).

    The entries stay in the file until asked for (a million users' plan is hundreds of
    megabytes): ``summary`` and the rest of the head are in memory, ``entries`` reads the file the
    first time, and ``iter_entries`` reads it one entry at a time."""

    def __init__(self, path: PathLike, data: Dict[str, Any]) -> None:
        """``data`` is the whole plan, or its head alone (its entries then read from ``path``)."""
        self.path = os.fspath(path)
        self._head = data
        summary: Dict[str, int] = data["summary"]
        users = sum(count for name, count in summary.items() if name not in _REACH_COUNTS)
        has_entries = len(data.get("entries", ())) == users
        self._whole: Optional[Dict[str, Any]] = data if has_entries else None

    @property
    def data(self) -> Dict[str, Any]:
        """The whole plan, as its file holds it (read from the file the first time)."""
        if self._whole is None:
            with open(self.path, "rb") as file:
                self._whole = json.load(file)
        return self._whole

    @property
    def summary(self) -> Dict[str, int]:
        """Counts per action: ``change``, ``alreadyCompliant``, ``ineligible``, ``error``,
        ``excluded``, and ``disabled`` when the plan left any disabled user out; and, among the
        changes of the default method, ``takesEffect`` and ``npsAdfsOnly`` (where system-preferred
        MFA applies, the new default matters only to the NPS extension and the AD FS adapter) when
        there are some."""
        summary: Dict[str, int] = self._head["summary"]
        return summary

    @property
    def entries(self) -> List[Dict[str, Any]]:
        """One entry per targeted user, in target order."""
        entries: List[Dict[str, Any]] = self.data["entries"]
        return entries

    def iter_entries(self) -> Iterator[Dict[str, Any]]:
        """The entries one at a time, read from the file as they are asked for: what to use for a
        plan too large to hold. The tool writes one entry per line; a plan in another layout (one
        reformatted by hand) is read whole instead."""
        if self._whole is not None:
            yield from self.entries
            return
        with open(self.path, "rb") as file:
            for raw in file:
                if raw.strip() == b'"entries": [':
                    break
            else:
                yield from self.entries
                return
            for number, raw in enumerate(file):
                line = raw.strip()
                if line == b"]":
                    return
                try:
                    entry = json.loads(line.rstrip(b","))
                except ValueError:
                    if number > 0:
                        raise
                    # Not one entry per line: this layout is read whole.
                    yield from self.entries
                    return
                yield entry

    @property
    def changes(self) -> List[Dict[str, Any]]:
        """The entries whose action is ``change``."""
        return [entry for entry in self.iter_entries() if entry.get("action") == "change"]

    def __repr__(self) -> str:
        return f"Plan(path={self.path!r}, summary={self.summary!r})"


class Report:
    """What a run did: one row per user (``user``, ``planned``, ``before``, ``target``,
    ``outcome``, ``verified``, ``detail``, ``requestId``, ``run``; for a ``drifted`` user also
    ``now``, the values read just before the write), counts per outcome, and a verdict
    (``"success"``, ``"partial"``, ``"nothingDone"``)."""

    def __init__(self, native: _native.NativeReport) -> None:
        self._native = native
        self._rows: Optional[List[Dict[str, Any]]] = None
        self.counts: Dict[str, int] = native.counts
        self.finished: bool = native.finished
        self.verdict: str = native.verdict

    @property
    def rows(self) -> List[Dict[str, Any]]:
        """One row per user, in plan order (built when first asked for: a large run has many)."""
        if self._rows is None:
            self._rows = json.loads(self._native.to_json())["rows"]
        return self._rows

    def to_json(self) -> str:
        """The report as the CLI writes it."""
        return self._native.to_json()

    def __repr__(self) -> str:
        return f"Report(verdict={self.verdict!r}, counts={self.counts!r}, finished={self.finished!r})"


def plan(
    client: AnyClient,
    targets_path: PathLike,
    plan_path: PathLike,
    *,
    methods: Sequence[str] = (),
    system_preferred: Optional[bool] = None,
    exclude: Sequence[str] = (),
    only_from: Sequence[str] = (),
    max_changes: Optional[int] = None,
    from_report: bool = False,
    read_path: str = "auto",
    ignore_policy: bool = False,
    include_disabled: bool = False,
    flag_precedence: str = "policy-and-user",
    priority: Priority = "low",
) -> Plan:
    """Reads the targets file (CSV or JSON), every target's state, decides per user, writes the
    plan to ``plan_path`` and returns it. Sends no write.

    ``read_path``: ``"report"`` reads the tenant's registration report in one paged read (on
    Graph's small reports budget), falling back to per-user reads for users it does not list;
    ``"per-user"`` reads each user; ``"auto"`` (the default) counts the tenant's users and takes
    the way whose least possible time under the client's budgets is lower. ``from_report=True``
    is the older spelling of ``read_path="report"``.

    The tenant's authentication methods policy is read once (it needs ``Policy.Read.All``): a
    method it disables, or whose include/exclude groups leave a user out, is not eligible for that
    user, and ``methods`` falls through to the next allowed one. Without the permission the plan
    stops with an error naming it; ``ignore_policy=True`` plans without the policy.

    Disabled users (``accountEnabled`` false) are found by one listing and left out with the
    action ``"disabled"``, without reading their state; ``include_disabled=True`` plans them like
    the others.

    Where the policy is read, each change of the default method says where it counts
    (``defaultReach``: ``"takesEffect"``, or ``"npsAdfsOnly"`` when system-preferred MFA applies to
    the user, so the default matters only to the NPS extension and the AD FS adapter), and the
    summary counts both (``takesEffect``, ``npsAdfsOnly``). ``flag_precedence`` is how the user's
    own system-preferred flag and the policy combine, which Microsoft does not publish:
    ``"policy-and-user"`` (the default), ``"user-first"`` or ``"policy-only"``, as the CLI's
    ``--flag-precedence``.

    Every request carries ``x-ms-throttle-priority: low`` unless ``priority`` says otherwise
    (``"normal"``, ``"high"``), as the CLI's ``--priority``."""
    text = _native.plan(
        client._native,
        os.fspath(targets_path),
        os.fspath(plan_path),
        methods=[str(method) for method in methods],
        system_preferred=system_preferred,
        exclude=list(exclude),
        only_from=[str(method) for method in only_from],
        max_changes=max_changes,
        from_report=from_report,
        read_path=read_path,
        ignore_policy=ignore_policy,
        include_disabled=include_disabled,
        flag_precedence=flag_precedence,
        priority=priority,
    )
    return Plan(plan_path, json.loads(text))


def apply(
    client: AnyClient,
    plan_path: PathLike,
    journal_path: PathLike,
    **settings: Unpack[RunSettings],
) -> Report:
    """Applies exactly the plan, journaling every batch, as the settings say (`RunSettings`:
    ``resume=True`` continues the run the journal records after a crash or a kill). The client's
    pacing holds the batches to Graph's budget, and a user Graph throttles waits and goes again,
    never failed for it. A user changed since the plan was made is left as it is (``drifted``)
    unless ``allow_drift=True``."""
    return _run_journaled("apply", client, plan_path, journal_path, settings)


def rollback(
    client: AnyClient,
    applied_journal_path: PathLike,
    journal_path: PathLike,
    **settings: Unpack[RunSettings],
) -> Report:
    """Restores what the apply journal changed; users changed since are skipped and reported.
    The settings (`RunSettings`) as for :func:`apply`."""
    return _run_journaled("rollback", client, applied_journal_path, journal_path, settings)


def _run_journaled(
    kind: Literal["apply", "rollback"],
    client: AnyClient,
    input_path: PathLike,
    journal_path: PathLike,
    settings: RunSettings,
) -> Report:
    """What `apply` and `rollback` share: the native run, told which one it is; the settings left
    out take the native run's defaults, which are those `RunSettings` documents."""
    unknown = sorted(set(settings) - set(RunSettings.__annotations__))
    if unknown:
        # Named as the caller wrote it, as Python names any unexpected keyword.
        raise TypeError(f"{kind}() got an unexpected keyword argument {unknown[0]!r}")
    report = _native.run_journaled(
        kind, client._native, os.fspath(input_path), os.fspath(journal_path), **settings
    )
    return Report(report)
