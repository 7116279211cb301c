"""Bulk changes from Python: the CLI's engine (readiness, plan file, journal, resume, rollback,
report).

    ready = bulk.readiness(client, "users-now.csv")  # who the SMS/voice retirement concerns
    plan = bulk.plan(client, "targets.csv", "plan.json", methods=["oath", "push"])
    plan = bulk.plan(client, ["adele@contoso.com", {"user": "alex@contoso.com", "method": "oath"}],
                     "plan.json", methods=["push"])          # users in hand, as a targets file
    report = bulk.apply(client, "plan.json", "apply.journal")      # resume=True after a kill
    report = bulk.apply(client, "plan.json", "apply.journal", progress=progress.tqdm())
    undo = bulk.rollback(client, "apply.journal", "rollback.journal")
    report = await bulk.apply_async(client, "plan.json", "apply.journal")  # in a coroutine
    report = bulk.report("apply.journal")                   # sends nothing

Every call blocks with the GIL released (other threads run) and raises the package's exceptions.
Ctrl-C stops a call within a tenth of a second: nothing more is sent, the batches on the wire are
answered and journaled, and it raises `BulkInterrupted` (a `KeyboardInterrupt` carrying the
partial report); ``resume=True`` finishes the job. The ``*_async`` forms are coroutines that leave
the event loop free while the run goes on; cancelling one stops the run the same way, and the
task ends (``CancelledError``) once the run has settled. ``progress=`` takes a callable given
a `signin_prefs.progress.Progress` snapshot as the call goes (see that module).
"""

from __future__ import annotations

import json
import os
from typing import (
    Any,
    Dict,
    Generic,
    Iterable,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    TypedDict,
    TypeVar,
    Union,
    cast,
)

from . import _native
from ._client import AsyncClient, Client
from ._errors import BulkInterrupted
from ._generated_models import (
    UserDefaultAuthenticationMethodType,
    UserDefaultAuthenticationMethodTypeLiteral,
)
from ._readiness import Readiness, ReadinessSummary, ReadinessUser, readiness
from ._report import Report, ReportRow, Values
from ._typing import Priority, Unpack
from .progress import Progress, ProgressCallback

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CONCURRENCY",
    "Plan",
    "Priority",
    "Readiness",
    "ReadinessSummary",
    "ReadinessUser",
    "Report",
    "ReportRow",
    "Values",
    "Method",
    "ReadPath",
    "FlagPrecedence",
    "TargetUser",
    "Progress",
    "ProgressCallback",
    "RunSettings",
    "PlanSettings",
    "BulkInterrupted",
    "readiness",
    "plan",
    "apply",
    "rollback",
    "plan_async",
    "apply_async",
    "rollback_async",
    "report",
]

DEFAULT_BATCH_SIZE: int = _native.DEFAULT_BATCH_SIZE
"""PATCHes per ``$batch`` when ``batch_size`` is left at ``None`` (the engine's default)."""

DEFAULT_CONCURRENCY: int = _native.DEFAULT_CONCURRENCY
"""``$batch``es in flight when ``concurrency`` is left at ``None`` (the engine's default)."""

PathLike = Union[str, "os.PathLike[str]"]
AnyClient = Union[Client, AsyncClient]
Method = Union[UserDefaultAuthenticationMethodType, UserDefaultAuthenticationMethodTypeLiteral]
"""A default method to set: the enum, or its value (``"push"``, ``"oath"``, ``"sms"``, ...)."""
# Unions of single literals, as `Priority` (see there).
ReadPath = Union[Literal["auto"], Literal["report"], Literal["per-user"]]
"""How `plan` reads users' state (see :func:`plan`)."""
FlagPrecedence = Union[Literal["policy-and-user"], Literal["user-first"], Literal["policy-only"]]
"""How a user's own system-preferred flag and the policy combine (see :func:`plan`)."""
TargetUser = Union[str, Mapping[str, Any]]
"""A user to plan for, as a targets file holds it: an object id or user principal name, or a
mapping with ``"user"`` and optionally ``"method"`` and ``"systemPreferred"`` (the file's
columns), checked by the same rules as the file's rows."""


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


class PlanSettings(TypedDict, total=False):
    """The keyword arguments :func:`plan` and :func:`plan_async` take; each may be left out."""

    methods: Sequence[Method]
    """The default methods to set, in order of preference: the first one a user has registered
    (and the policy allows) wins; default none."""
    system_preferred: Optional[bool]
    """Also set whether system-preferred MFA applies; ``None`` (the default): left as it is."""
    exclude: Sequence[str]
    """Users never to touch (object ids or UPNs); default none."""
    only_from: Sequence[Method]
    """Only change users whose current method is one of these; default: any."""
    max_changes: Optional[int]
    """Refuse a plan with more changes than this; ``None`` (the default): no cap."""
    from_report: bool
    """The older spelling of ``read_path="report"``; default ``False``."""
    read_path: ReadPath
    """``"auto"`` (the default), ``"report"`` or ``"per-user"``: see :func:`plan`."""
    ignore_policy: bool
    """Plan without the tenant's authentication methods policy; default ``False``."""
    include_disabled: bool
    """Plan disabled users like the others; default ``False``."""
    flag_precedence: FlagPrecedence
    """``"policy-and-user"`` (the default), ``"user-first"`` or ``"policy-only"``: see
    :func:`plan`."""
    priority: Priority
    """The ``x-ms-throttle-priority`` every request carries; default ``"low"``."""


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
        ``excluded`` (on the exclude list), and, when there are some, ``notFrom`` (a current
        method that ``only_from`` does not name) and ``disabled`` (disabled users left out); and,
        among the
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


def plan(
    client: AnyClient,
    targets: Union[PathLike, Iterable[TargetUser]],
    plan_path: PathLike,
    *,
    progress: Optional[ProgressCallback] = None,
    **settings: Unpack[PlanSettings],
) -> Plan:
    """Reads the targets, every target's state, decides per user, writes the plan to
    ``plan_path`` and returns it. Sends no write.

    ``targets``: the path of a targets file (CSV or JSON), or the users themselves, an iterable
    of `TargetUser` (object ids or user principal names, or mappings with ``"user"`` and
    optionally ``"method"`` and ``"systemPreferred"``), checked by the same rules as a file's
    rows: a problem raises `ValidationError` naming the item (1-based) and nothing is sent.
    ``methods``, ``only_from`` and ``exclude`` are sequences (a bare ``str`` raises `TypeError`).

    A user named twice in the file (in another letter case, as ``users('…')``, or once by object
    id and once by user principal name, which is looked up and needs ``User.Read.All``) raises
    `ValidationError` naming both lines, before any state is read, as the CLI refuses it.

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
    (``"normal"``, ``"high"``), as the CLI's ``--priority``.

    ``progress``: a callable given a `Progress` snapshot as the reading goes (see
    `signin_prefs.progress`); an exception it raises stops the plan as Ctrl-C does and is raised.

    Ctrl-C stops the reading where it is, leaves no plan file and raises `BulkInterrupted`."""
    task = _start_plan(client, targets, plan_path, settings)
    written = Plan(plan_path, json.loads(task.wait(progress)))
    if task.stop.stopped:
        # Ctrl-C came as the plan was being written: it is whole, but the caller asked to stop.
        raise BulkInterrupted(f"plan interrupted; it was written whole to {written.path}")
    return written


async def plan_async(
    client: AnyClient,
    targets: Union[PathLike, Iterable[TargetUser]],
    plan_path: PathLike,
    *,
    progress: Optional[ProgressCallback] = None,
    **settings: Unpack[PlanSettings],
) -> Plan:
    """:func:`plan` as a coroutine: the reading goes on without holding the event loop, and
    cancelling the task stops it, leaving no plan file. ``progress`` is called from the event
    loop."""
    text = await _settled(_start_plan(client, targets, plan_path, settings), progress)
    return Plan(plan_path, json.loads(text))


#: What a plan of users given in hand is called in its problems and its file's ``request``.
_IN_HAND = "targets"


def _start_plan(
    client: AnyClient,
    targets: Union[PathLike, Iterable[TargetUser]],
    plan_path: PathLike,
    settings: PlanSettings,
) -> _Task[str]:
    _refuse_unknown("plan", settings, PlanSettings)
    for name in ("methods", "only_from", "exclude"):
        _refuse_bare_str(name, settings.get(name))
    stop = _native.NativeStop()
    if isinstance(targets, (str, os.PathLike)):
        source, users_json = os.fspath(targets), None
    else:
        source, users_json = _IN_HAND, _users_json(targets)
    native = _native.plan(
        client._native, source, os.fspath(plan_path), stop=stop, users_json=users_json, **settings
    )
    return _Task(native, stop)


def _refuse_bare_str(name: str, value: object) -> None:
    """A list meant, a string given: refused, rather than read letter by letter."""
    if isinstance(value, str):
        raise TypeError(
            f"{name} must be a sequence such as [{value!r}], not the str {value!r}"
        )


def _users_json(users: Iterable[TargetUser]) -> bytes:
    """Users in hand as a JSON targets file's array, for the native reader of such files."""
    if isinstance(users, (bytes, bytearray, Mapping)):
        raise TypeError(
            "targets must be a path or an iterable of users, not "
            f"{type(users).__name__}"
        )
    items: List[Any] = []
    for position, user in enumerate(users, start=1):
        if isinstance(user, str):
            items.append(str(user))
        elif isinstance(user, Mapping):
            items.append({str(key): value for key, value in user.items()})
        else:
            raise TypeError(
                f"targets item {position}: a user is an object id or user principal name (str) "
                f"or a mapping such as {{'user': ..., 'method': 'push'}}, not "
                f"{type(user).__name__}"
            )
    try:
        return json.dumps(items).encode()
    except (TypeError, ValueError) as error:
        raise TypeError(f"targets: a value is not text, a bool or None: {error}") from None


def apply(
    client: AnyClient,
    plan_path: PathLike,
    journal_path: PathLike,
    *,
    progress: Optional[ProgressCallback] = None,
    **settings: Unpack[RunSettings],
) -> Report:
    """Applies exactly the plan, journaling every batch, as the settings say (`RunSettings`:
    ``resume=True`` continues the run the journal records after a crash or a kill). The client's
    pacing holds the batches to Graph's budget, and a user Graph throttles waits and goes again,
    never failed for it. A user changed since the plan was made is left as it is (``drifted``)
    unless ``allow_drift=True``. ``progress``: a callable given a `Progress` snapshot as the run
    goes (see `signin_prefs.progress`); an exception it raises stops the run as Ctrl-C does, and
    is raised once the run settled. Ctrl-C stops the run cleanly and raises `BulkInterrupted`,
    with the partial report; ``resume=True`` then finishes it."""
    return _run_journaled("apply", client, plan_path, journal_path, settings, progress)


def rollback(
    client: AnyClient,
    applied_journal_path: PathLike,
    journal_path: PathLike,
    *,
    progress: Optional[ProgressCallback] = None,
    **settings: Unpack[RunSettings],
) -> Report:
    """Restores what the apply journal changed; users changed since are skipped and reported.
    The settings (`RunSettings`), ``progress`` and Ctrl-C, as for :func:`apply`."""
    return _run_journaled(
        "rollback", client, applied_journal_path, journal_path, settings, progress
    )


async def apply_async(
    client: AnyClient,
    plan_path: PathLike,
    journal_path: PathLike,
    *,
    progress: Optional[ProgressCallback] = None,
    **settings: Unpack[RunSettings],
) -> Report:
    """:func:`apply` as a coroutine: the run goes on without holding the event loop. Cancelling
    the task stops the run as Ctrl-C does (nothing more is sent, the batches on the wire are
    answered and journaled); the task ends cancelled once the run has settled, and
    ``resume=True`` finishes the job. ``progress`` is called from the event loop."""
    task = _start_run("apply", client, plan_path, journal_path, settings)
    return Report(await _settled(task, progress))


async def rollback_async(
    client: AnyClient,
    applied_journal_path: PathLike,
    journal_path: PathLike,
    *,
    progress: Optional[ProgressCallback] = None,
    **settings: Unpack[RunSettings],
) -> Report:
    """:func:`rollback` as a coroutine, cancelled as :func:`apply_async` is."""
    task = _start_run("rollback", client, applied_journal_path, journal_path, settings)
    return Report(await _settled(task, progress))


def report(journal_path: PathLike, *, plan_path: Optional[PathLike] = None) -> Report:
    """The report of the run ``journal_path`` records (an apply or a rollback, finished or
    not), read from the files alone: nothing is sent, no client is needed. An apply's plan is
    ``plan_path``, else found as the CLI's ``report`` finds it: the path the journal recorded
    (relative to where the run was started), then beside the journal; its sha256 must be the one
    the run applied."""
    native = _native.report(
        os.fspath(journal_path), plan_path=None if plan_path is None else os.fspath(plan_path)
    )
    return Report(native)


def _run_journaled(
    kind: Literal["apply", "rollback"],
    client: AnyClient,
    input_path: PathLike,
    journal_path: PathLike,
    settings: RunSettings,
    progress: Optional[ProgressCallback],
) -> Report:
    """What `apply` and `rollback` share: the native run, told which one it is, waited for."""
    task = _start_run(kind, client, input_path, journal_path, settings)
    report = Report(task.wait(progress))
    if task.stop.stopped:
        raise BulkInterrupted(
            f"{kind} interrupted: nothing more was sent, the batches sent were answered and "
            f"journaled in {os.fspath(journal_path)}; the same call with resume=True finishes it",
            report=report,
            journal_path=os.fspath(journal_path),
        )
    return report


def _start_run(
    kind: Literal["apply", "rollback"],
    client: AnyClient,
    input_path: PathLike,
    journal_path: PathLike,
    settings: RunSettings,
) -> _Task[_native.NativeReport]:
    """Starts the native run; the settings left out take the native run's defaults, which are
    those `RunSettings` documents."""
    _refuse_unknown(kind, settings, RunSettings)
    stop = _native.NativeStop()
    native = _native.run_journaled(
        kind, client._native, os.fspath(input_path), os.fspath(journal_path), stop=stop, **settings
    )
    return _Task(native, stop)


def _refuse_unknown(name: str, settings: Mapping[str, object], allowed: type) -> None:
    unknown = sorted(set(settings) - set(allowed.__annotations__))
    if unknown:
        # Named as the caller wrote it, as Python names any unexpected keyword.
        raise TypeError(f"{name}() got an unexpected keyword argument {unknown[0]!r}")


_T = TypeVar("_T")

#: How often an async caller's progress is looked at: the blocking wait's look for signals.
_POLL = 0.1


class _Task(Generic[_T]):
    """A native bulk operation under way on the engine's runtime, and the signal that stops it."""

    def __init__(self, native: _native.NativeTask, stop: _native.NativeStop) -> None:
        self.native = native
        self.stop = stop

    def wait(self, progress: Optional[ProgressCallback]) -> _T:
        """Blocks (GIL released) until the operation ends; the native wait stops it on Ctrl-C,
        and gives ``progress`` its snapshots from this thread."""
        tell = None if progress is None else _snapshots_to(progress)
        return cast(_T, self.native.wait(tell))

    def tell(self, progress: ProgressCallback, *, last: bool = False) -> None:
        """Gives ``progress`` a snapshot, if one is due (or the last one)."""
        snapshot = self.native.progress_snapshot(last=last)
        if snapshot is not None:
            progress(Progress._from_native(snapshot))


def _snapshots_to(progress: ProgressCallback) -> Any:
    """The native wait's callback: its snapshots, as `Progress`, to ``progress``."""

    def tell(snapshot: Dict[str, Any]) -> None:
        progress(Progress._from_native(snapshot))

    return tell


async def _settled(task: _Task[_T], progress: Optional[ProgressCallback] = None) -> _T:
    """Awaits `task` without holding the event loop, giving ``progress`` its snapshots from the
    loop. Cancelled, or ``progress`` raising, it stops the operation and waits for it to settle
    (an apply's batches on the wire answered and journaled; a plan dropped with its spool) before
    the cancellation or the exception goes on."""
    import asyncio  # here, not atop: `import signin_prefs` stays fast for blocking callers

    future = asyncio.ensure_future(task.native.wait_async())
    try:
        while progress is not None and not future.done():
            task.tell(progress)
            await asyncio.wait({future}, timeout=_POLL)
        result = cast(_T, await asyncio.shield(future))
    except BaseException:
        # Cancelled, or the callback raised: the operation stops and settles first.
        task.stop.stop()
        try:
            await future
        except BaseException:
            # A stopped plan's own interruption, or a second cancellation while settling: what
            # stopped it is what the caller is told, and the operation still settles.
            pass
        raise
    if progress is not None:
        task.tell(progress, last=True)
    return result
