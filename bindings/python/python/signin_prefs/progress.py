"""How far a bulk call has got: the `Progress` snapshots that ``progress=`` callbacks of
`signin_prefs.bulk` receive, and `tqdm`, a ready-made callback drawing a tqdm bar.

    report = bulk.apply(client, "plan.json", "apply.journal", progress=print)
    report = bulk.apply(client, "plan.json", "apply.journal", progress=progress.tqdm())

A callback is called from the thread that made the call (for the ``*_async`` forms, the event
loop's), never from the engine's: when something changed, at most ten times a second, and at
least once a second while the run goes on (so a throttled wait and the elapsed time move), then
once more when the call ends (``phase`` ``"finished"`` or ``"stopped"``). An exception it raises
stops the run as Ctrl-C does (nothing more is sent, the batches on the wire are answered and
journaled, ``resume=True`` finishes the job) and is raised by the call once the run has settled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal, Mapping, Optional, Protocol, Union

__all__ = ["Phase", "Outcomes", "Progress", "ProgressCallback", "ProgressBar", "tqdm"]

# A union of single literals, as `signin_prefs.bulk.Priority` (see there).
Phase = Union[
    Literal["starting"],
    Literal["reading-report"],
    Literal["reading"],
    Literal["sending"],
    Literal["verifying"],
    Literal["finished"],
    Literal["stopped"],
]
"""What a bulk call is doing: ``"starting"``; for a plan, ``"reading-report"`` (the registration
report, whose pages have no known count) then ``"reading"`` (users' own states); for an apply or
rollback, ``"sending"`` then, with ``verify=True``, ``"verifying"`` (reading changed users back);
and in the last snapshot, ``"finished"`` or ``"stopped"`` (Ctrl-C, a cancelled task, an
exception raised by the callback, ``max_duration``)."""


@dataclass(frozen=True)
class Outcomes:
    """An apply's or rollback's users by outcome so far in this run, counted as they are
    journaled (a batch's outcomes reach the journal with the next batches' intents, so they trail
    `Progress.done` a little until the end). A plan has none."""

    applied: int = 0
    """Graph accepted the PATCH."""
    recovered: int = 0
    """The user already held the target: an earlier, interrupted PATCH had landed."""
    failed: int = 0
    """Refused, or failed after retries."""
    skipped: int = 0
    """Not sent: a rollback's user changed since the apply."""
    drifted: int = 0
    """Not sent: the user changed since the plan was made (see ``allow_drift``)."""
    not_reached: int = 0
    """Not sent before the run stopped; ``resume=True`` takes them."""
    unverified: int = 0
    """Changed, but no read-back could verify it (``verify=True``)."""


@dataclass(frozen=True)
class Progress:
    """A snapshot of a bulk call's progress."""

    phase: Phase
    """What the call is doing (see `Phase`)."""
    done: int
    """Users settled so far by this call: read (a plan), or answered (an apply or rollback)."""
    total: Optional[int]
    """Of how many (``None`` until known: a plan reading the registration report)."""
    already_done: int
    """Users an earlier run of the same journal finished (``resume=True``), in neither figure."""
    outcomes: Outcomes
    """This run's users by outcome so far."""
    throttled: int
    """Users Graph throttled so far and that were put back to go again (once per time): never a
    failure, only a wait."""
    throttled_wait: float
    """Seconds Graph's last 429 still holds requests back: 0 unless the run waits on
    throttling now."""
    elapsed: float
    """Seconds since the call started."""
    rate: Optional[float]
    """Users settled per second since the counted work began (``None`` in its first second)."""
    eta: Optional[float]
    """Seconds left at that rate (``None`` while the rate or the total is unknown)."""

    @classmethod
    def _from_native(cls, fields: Mapping[str, Any]) -> Progress:
        values = dict(fields)
        values["outcomes"] = Outcomes(**values["outcomes"])
        return cls(**values)


ProgressCallback = Callable[[Progress], object]
"""What ``progress=`` takes: any callable given each `Progress` (its result is ignored)."""


class ProgressBar(Protocol):
    """What `tqdm` drives: the part of ``tqdm.tqdm``'s interface it uses."""

    total: Optional[float]
    n: float

    def set_description_str(self, desc: Optional[str] = None, refresh: bool = True) -> None: ...

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None: ...

    def refresh(self) -> None: ...

    def close(self) -> None: ...


def tqdm(bar: Optional[ProgressBar] = None, **tqdm_arguments: Any) -> ProgressCallback:
    """A ``progress=`` callback drawing a tqdm bar: users done of the total, the outcomes and
    any throttled wait beside it; the bar is closed with the call's last snapshot.

    ``bar``: a bar of your own (an open ``tqdm.tqdm``, say, in a notebook); else one is made with
    ``tqdm.tqdm(**tqdm_arguments)`` (``unit="users"`` unless given). tqdm is not a dependency of
    this package: install it (``pip install 'signin-prefs[progress]'``) or this raises
    `ImportError` naming that extra."""
    if bar is None:
        import importlib

        try:
            # By name: tqdm is optional, so type checkers need neither it nor its stubs.
            module = importlib.import_module("tqdm")
        except ImportError as missing:
            raise ImportError(
                "signin_prefs.progress.tqdm() draws a tqdm bar, and tqdm is not installed: "
                "pip install 'signin-prefs[progress]' (or pip install tqdm)"
            ) from missing
        tqdm_arguments.setdefault("unit", "users")
        made: ProgressBar = module.tqdm(**tqdm_arguments)
        bar = made
    return _TqdmCallback(bar)


class _TqdmCallback:
    """`tqdm`'s callback: each snapshot moves the bar."""

    def __init__(self, bar: ProgressBar) -> None:
        self._bar = bar

    def __call__(self, progress: Progress) -> None:
        bar = self._bar
        if progress.total is not None:
            bar.total = progress.total
        bar.n = progress.done
        bar.set_description_str(progress.phase, refresh=False)
        bar.set_postfix_str(_postfix(progress), refresh=False)
        bar.refresh()
        if progress.phase in ("finished", "stopped"):
            bar.close()


def _postfix(progress: Progress) -> str:
    """The outcomes counted so far and the throttling, as ``applied=9 failed=1 throttled=3``."""
    counts = vars(progress.outcomes)
    shown = [f"{name}={count}" for name, count in counts.items() if count]
    if progress.throttled:
        shown.append(f"throttled={progress.throttled}")
    if progress.throttled_wait > 0:
        shown.append(f"waiting {progress.throttled_wait:.0f}s for Graph")
    return " ".join(shown)
