"""`Report`, what a bulk run did, and its typed rows (`ReportRow`, `Values`).

Plain classes over `typing.NamedTuple`, not dataclasses: the exceptions refer to `Report`, so this
module is imported with the package, and `dataclasses` would bring `inspect` with it."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Union

from . import _native

__all__ = ["Report", "ReportRow", "Values"]


class Values(NamedTuple):
    """A user's sign-in preferences as a run records them (``None``: not set, or not sent)."""

    method: Optional[str]
    """The default method (``userPreferredMethodForSecondaryAuthentication``)."""
    system_preferred: Optional[bool]
    """Whether system-preferred MFA applies (``isSystemPreferredAuthenticationMethodEnabled``)."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Values:
        """From the report's wire form, ``{"method": ..., "systemPreferred": ...}``."""
        return cls(data.get("method"), data.get("systemPreferred"))

    def to_dict(self) -> Dict[str, Any]:
        """The report's wire form."""
        return {"method": self.method, "systemPreferred": self.system_preferred}


def _values(data: Optional[Mapping[str, Any]]) -> Optional[Values]:
    return None if data is None else Values.from_dict(data)


class ReportRow(NamedTuple):
    """One user's line of a `Report`; `to_dict` gives it as the CLI's JSON report has it."""

    user: str
    """The user, as the plan names it."""
    planned: str
    """The plan's action for the user (``"change"``, ``"alreadyCompliant"``, ...)."""
    before: Optional[Values]
    """The values before the run (for an apply, those read just before the write)."""
    target: Optional[Values]
    """The values the run set (or would have)."""
    outcome: Optional[str]
    """``"applied"`` (a rollback: ``"restored"``), ``"recovered"``, ``"failed"``, ``"skipped"``,
    ``"notReached"``, ``"drifted"``, ``"unverified"``; users the plan left alone are
    ``"excluded"`` (the exclude list), ``"notFrom"`` (a method ``only_from`` does not name) and the
    like (``None``: the run never took the user up)."""
    verified: Optional[bool]
    """With ``verify=True``: whether the read-back found the new values."""
    detail: Optional[str]
    """Why, in words."""
    request_id: Optional[str]
    """Graph's ``request-id`` of the user's answer, for support cases."""
    run: Optional[int]
    """Which run of the journal (1, then one more per resume) settled the user."""
    now: Optional[Values]
    """For a ``drifted`` user: the values read just before the write."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReportRow:
        """From the report's wire form (camelCase keys)."""
        return cls(
            user=data["user"],
            planned=data.get("planned", ""),
            before=_values(data.get("before")),
            target=_values(data.get("target")),
            outcome=data.get("outcome"),
            verified=data.get("verified"),
            detail=data.get("detail"),
            request_id=data.get("requestId"),
            run=data.get("run"),
            now=_values(data.get("now")),
        )

    def to_dict(self) -> Dict[str, Any]:
        """The wire form, as in `Report.to_json` (``now`` only for a drifted user)."""
        data: Dict[str, Any] = {
            "user": self.user,
            "planned": self.planned,
            "before": None if self.before is None else self.before.to_dict(),
            "target": None if self.target is None else self.target.to_dict(),
            "outcome": self.outcome,
            "verified": self.verified,
            "detail": self.detail,
            "requestId": self.request_id,
            "run": self.run,
        }
        if self.now is not None:
            data["now"] = self.now.to_dict()
        return data


class Report:
    """What a run did: one `ReportRow` per user, counts per outcome, and a verdict
    (``"success"``, ``"partial"``, ``"nothingDone"``)."""

    def __init__(self, native: _native.NativeReport) -> None:
        self._native = native
        self._rows: Optional[List[ReportRow]] = None
        self.counts: Dict[str, int] = native.counts
        """Users per outcome (the wire's camelCase names: ``applied``, ``notReached``, ...)."""
        self.finished: bool = native.finished
        """Whether the run reached its end (``False``: ``resume=True`` continues it)."""
        self.verdict: str = native.verdict
        """``"success"``, ``"partial"`` or ``"nothingDone"``."""

    @property
    def rows(self) -> List[ReportRow]:
        """One row per user, in plan order (built when first asked for: a large run has many)."""
        if self._rows is None:
            import json

            rows = json.loads(self._native.to_json())["rows"]
            self._rows = [ReportRow.from_dict(row) for row in rows]
        return self._rows

    def to_json(self) -> str:
        """The report as the CLI writes it."""
        return self._native.to_json()

    def write_html(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Writes the report as one self-contained HTML page, as the CLI's
        ``report --output html`` does: users per outcome, default methods before and after, the
        run's pace, and a table that filters and sorts in the browser. The file is new and
        owner-only; an existing one raises `BulkError` and is left as it is."""
        self._native.write_html(os.fspath(path))

    def __repr__(self) -> str:
        return f"Report(verdict={self.verdict!r}, counts={self.counts!r}, finished={self.finished!r})"
