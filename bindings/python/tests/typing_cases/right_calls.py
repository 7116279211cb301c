"""Calls the package's types must accept (`mypy --strict` passes this file; it is never run)."""

from __future__ import annotations

import time
from typing import Any, List, NamedTuple, Optional

import signin_prefs
from signin_prefs import UserDefaultAuthenticationMethodType as Method
from signin_prefs import bulk, progress


class Token(NamedTuple):
    token: str
    expires_on: int


class Credential:
    """azure-identity's shape, keyword options included."""

    def get_token(self, *scopes: str, claims: Optional[str] = None, **kwargs: Any) -> Token:
        return Token("t", int(time.time()) + 3600)


class AsyncCredential:
    async def get_token(self, *scopes: str) -> Token:
        return Token("t", int(time.time()) + 3600)


def calls(user: str) -> None:
    client = signin_prefs.Client(Credential(), base_url="http://127.0.0.1:1")
    signin_prefs.AsyncClient(AsyncCredential())
    signin_prefs.AsyncClient(Credential(), scopes=["https://graph.microsoft.com/.default"])
    client.update(user, user_preferred_method_for_secondary_authentication="push")
    client.update(user, user_preferred_method_for_secondary_authentication=Method.OATH)
    client.update(user, is_system_preferred_authentication_method_enabled=None)

    users: List[bulk.TargetUser] = ["adele@contoso.com", {"user": "alex@contoso.com", "method": "oath"}]
    plan = bulk.plan(client, users, "plan.json", methods=["push", Method.OATH], read_path="per-user")
    bulk.plan(client, "targets.csv", "plan.json", only_from=("sms",), exclude=[user])
    report = bulk.apply(client, plan.path, "apply.journal", progress=progress.tqdm(), priority="high")
    for row in report.rows:
        method: Optional[str] = row.before.method if row.before is not None else None
        print(method, row.request_id, row.to_dict())

    def show(snapshot: progress.Progress) -> None:
        print(snapshot.done, snapshot.total, snapshot.outcomes.applied, snapshot.eta)

    signin_prefs.bulk.rollback(client, "apply.journal", "rollback.journal", progress=show)
    again: bulk.Report = signin_prefs.bulk.report("apply.journal", plan_path="plan.json")
    print(again.verdict, signin_prefs.testing.Emulator)

    try:
        client.get(user)
    except signin_prefs.ThrottledError as error:
        wait: Optional[float] = error.retry_after
        print(wait)
