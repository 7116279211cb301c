"""The exceptions every call raises: one hierarchy under `SignInPreferencesError`.

The package re-exports them; its `__init__`'s `__all__` is their one list (mypy reads an export
list only as a literal, so it cannot be taken from here).
"""

from __future__ import annotations

from ._deferred import defer_annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    # Only for type checkers: at run time `defer_annotations` finds them when first asked.
    from typing import Optional, Union

    from ._report import Report


class SignInPreferencesError(Exception):
    """Base class of every error this package raises.

    Attributes (``None`` when not known):
        kind: the client's error kind (``"NotFound"``, ``"Throttled"``, ...).
        status: the HTTP status of the last response.
        code: Graph's ``error.code``.
        message: Graph's ``error.message`` (else the exception's text).
        request_id: the service's ``request-id``, for support cases.
        client_request_id: the ``client-request-id`` this client sent.
        retry_after: the seconds the service's last answer asked to wait (``Retry-After``), as
            a `ThrottledError` carries it.
    """

    kind: Optional[str]
    status: Optional[int]
    code: Optional[str]
    message: str
    request_id: Optional[str]
    client_request_id: Optional[str]
    retry_after: Optional[float]

    def __init__(
        self,
        text: str,
        *,
        kind: Optional[str] = None,
        status: Union[int, str, None] = None,
        code: Optional[str] = None,
        message: Optional[str] = None,
        request_id: Optional[str] = None,
        client_request_id: Optional[str] = None,
        retry_after: Union[float, str, None] = None,
    ) -> None:
        super().__init__(text)
        self.kind = kind
        self.status = int(status) if status is not None else None
        self.code = code
        self.message = message if message is not None else text
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.retry_after = float(retry_after) if retry_after is not None else None


class AuthenticationError(SignInPreferencesError):
    """401, or no token could be obtained (the credential's exception is the ``__cause__``)."""


class PermissionDeniedError(SignInPreferencesError):
    """403: the token lacks a permission, or the caller a directory role."""


class NotFoundError(SignInPreferencesError):
    """404: no such user."""


class ValidationError(SignInPreferencesError, ValueError):
    """400/422 from the service, or input refused before anything was sent."""


class ThrottledError(SignInPreferencesError):
    """429, 503 or 504 still, when the retries ran out. ``retry_after`` is the wait (seconds)
    the last answer asked for, when it asked: how long to wait before trying again."""


class RequestTimeoutError(SignInPreferencesError, TimeoutError):
    """The per-request timeout or the overall deadline passed."""


class TransportError(SignInPreferencesError, ConnectionError):
    """The connection failed (refused, reset, cut short) after retries."""


class ServiceError(SignInPreferencesError):
    """Any other error status, or a success response that does not decode."""


class ConfigurationError(SignInPreferencesError, ValueError):
    """The client was configured wrongly (plain HTTP to a remote host, a bad URL)."""


class BulkError(SignInPreferencesError):
    """A bulk operation could not start or go on (a damaged plan or journal, a guard rail)."""


class BulkInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a bulk call (``bulk.plan``, ``bulk.apply``, ``bulk.rollback``).

    A `KeyboardInterrupt`, so that code letting Ctrl-C through lets this through too, and not a
    `SignInPreferencesError`: ``except Exception`` does not swallow it. It is raised once the run
    has settled: nothing more was sent, the batches already on the wire were answered and
    journaled, and the users not sent are reported ``notReached``. The same call with
    ``resume=True`` (and the same paths) finishes the job. A plan leaves no file: run it again.

    Attributes:
        report: the run's partial `bulk.Report` (``None`` for a plan).
        journal_path: the journal a resume continues (``None`` for a plan).
    """

    report: Optional[Report]
    journal_path: Optional[str]

    def __init__(
        self,
        text: str,
        *,
        report: Optional[Report] = None,
        journal_path: Optional[str] = None,
    ) -> None:
        super().__init__(text)
        self.report = report
        self.journal_path = journal_path


defer_annotations(globals())
