"""Calls the package's types must refuse: `mypy --strict` reports an error on each line marked
``# wrong`` and on no other (the file is never run)."""

from __future__ import annotations

import signin_prefs
from signin_prefs import bulk


def calls(client: signin_prefs.Client, user: str, name: str) -> None:
    client.update(user, user_preferred_method_for_secondary_authentication="sms2")  # wrong
    client.update(user, user_preferred_method_for_secondary_authentication=name)  # wrong
    client.update(user, is_system_preferred_authentication_method_enabled="no")  # wrong
    signin_prefs.Client(credential=object())  # wrong
    bulk.plan(client, "targets.csv", "plan.json", methods="push")  # wrong
    bulk.plan(client, "targets.csv", "plan.json", methods=["push"], read_path="fast")  # wrong
    bulk.plan(client, [1, 2], "plan.json", methods=["push"])  # wrong
    report = bulk.apply(client, "plan.json", "apply.journal", priority="urgent")  # wrong
    bulk.apply(client, "plan.json", "apply.journal", progress=lambda p: p.donee)  # wrong
    print(report.rows[0].requestId)  # wrong
    bulk.report(client, "apply.journal")  # wrong
    try:
        client.get(user)
    except signin_prefs.ThrottledError as error:
        print(error.retry_after + "s")  # wrong
