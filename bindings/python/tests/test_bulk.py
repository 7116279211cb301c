"""Bulk plan, apply, resume and rollback from Python, checked against the emulator's state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

import signin_prefs
from signin_prefs import bulk
from signin_prefs.testing import READ_ALL, READ_WRITE_ALL, Emulator

FIRST = 20  # users 20..44 of the session emulator are this module's


def _prepare(emulator: Emulator, tmp_path: Path, count: int = 25) -> Tuple[List[str], Path]:
    keys: List[str] = []
    for offset in range(count):
        record = emulator.user_at(FIRST + offset)
        assert record is not None
        keys.append(record["id"])
        # Every fifth user has no app, so `oath` is not possible for them.
        methods = ["mobilePhone"] if offset % 5 == 0 else ["mobilePhone", "softwareOath"]
        emulator.set_user_state(record["id"], methods=methods, preferred="sms", system_preferred=False)
    targets = tmp_path / "targets.csv"
    targets.write_text("user\n" + "\n".join(keys) + "\n")
    return keys, targets


def _states(emulator: Emulator, keys: List[str]) -> Dict[str, Tuple[object, object]]:
    states = {}
    for key in keys:
        record = emulator.user(key)
        assert record is not None
        states[key] = (
            record["user_preferred_method_for_secondary_authentication"],
            record["is_system_preferred_authentication_method_enabled"],
        )
    return states


def test_plan_apply_rollback(emulator: Emulator, tmp_path: Path) -> None:
    keys, targets = _prepare(emulator, tmp_path)
    client = emulator.client()
    before = _states(emulator, keys)

    plan = bulk.plan(client, targets, tmp_path / "plan.json", methods=["oath"])
    assert plan.summary["change"] == 20
    assert plan.summary["ineligible"] == 5
    assert len(plan.changes) == 20
    assert json.loads((tmp_path / "plan.json").read_text())["summary"] == plan.summary
    assert _states(emulator, keys) == before  # planning sends no write
    assert "Plan(" in repr(plan)

    report = bulk.apply(client, tmp_path / "plan.json", tmp_path / "apply.journal", verify=True)
    assert report.verdict == "success"
    assert report.finished
    assert report.counts == {"applied": 20, "ineligible": 5}
    assert all(row.verified for row in report.rows if row.outcome == "applied")
    after = _states(emulator, keys)
    for offset, key in enumerate(keys):
        expected = "sms" if offset % 5 == 0 else "oath"
        assert after[key] == (expected, False)
    assert json.loads(report.to_json())["counts"] == report.counts
    assert "Report(" in repr(report)

    undo = bulk.rollback(client, tmp_path / "apply.journal", tmp_path / "rollback.journal")
    assert undo.verdict == "success"
    assert undo.counts == {"restored": 20}
    assert _states(emulator, keys) == before


def test_a_plan_reads_its_entries_from_its_file_only_when_asked(
    emulator: Emulator, tmp_path: Path
) -> None:
    _, targets = _prepare(emulator, tmp_path)
    plan = bulk.plan(emulator.client(), targets, tmp_path / "plan.json", methods=["oath"])
    whole = json.loads((tmp_path / "plan.json").read_text())
    assert plan.summary == whole["summary"]
    assert list(plan.iter_entries()) == whole["entries"]
    assert plan.entries == whole["entries"]
    assert plan.data == whole
    assert plan.changes == [entry for entry in whole["entries"] if entry["action"] == "change"]


def test_a_plan_in_another_layout_is_read_whole(emulator: Emulator, tmp_path: Path) -> None:
    _, targets = _prepare(emulator, tmp_path)
    path = tmp_path / "plan.json"
    head = bulk.plan(emulator.client(), targets, path, methods=["oath"])
    whole = json.loads(path.read_text())
    for layout in (json.dumps(whole), json.dumps(whole, indent=4)):
        path.write_text(layout)
        plan = bulk.Plan(path, {**whole, "entries": []})
        assert list(plan.iter_entries()) == whole["entries"]
        assert plan.summary == head.summary


def test_resume_after_an_interrupted_run(emulator: Emulator, tmp_path: Path) -> None:
    keys, targets = _prepare(emulator, tmp_path)
    client = emulator.client()
    before = _states(emulator, keys)
    bulk.plan(client, targets, tmp_path / "plan.json", system_preferred=True)
    journal = tmp_path / "apply.journal"
    bulk.apply(client, tmp_path / "plan.json", journal, batch_size=10)

    # Simulate a kill after the first batch: keep the header and the first batch's records, and put
    # the users of the later batches back as they were (their PATCHes never happened). The first
    # batch holds up to 10 users: one whose read was throttled (the emulator is shared by the
    # session) goes to a later batch.
    lines = journal.read_text().splitlines(keepends=True)
    records = [json.loads(line) for line in lines]
    first = min(record["batch"] for record in records if "batch" in record)
    kept = [
        line
        for line, record in zip(lines, records)
        if record["record"] == "header" or record.get("batch") == first or (
            record["record"] == "outcome"
            and any(r.get("batch") == first and r.get("user") == record["user"] for r in records)
        )
    ]
    journal.write_text("".join(kept))
    # The users those records name (a batch's pace record names none).
    first_batch = {record["user"] for record in map(json.loads, kept[1:]) if "user" in record}
    assert 1 <= len(first_batch) <= 10
    for key in keys:
        if key not in first_batch:
            emulator.set_user_state(key, preferred="sms", system_preferred=False)
    # A user of batch 1 changed by someone else since: resuming must not send it again.
    done_user = sorted(first_batch)[0]
    emulator.set_user_state(done_user, preferred="sms", system_preferred=None)

    report = bulk.apply(client, tmp_path / "plan.json", journal, resume=True, batch_size=10)
    assert report.verdict == "success"
    assert report.counts == {"applied": 25}
    states = _states(emulator, keys)
    for key in keys:
        if key == done_user:
            assert states[key] == ("sms", None)
        else:
            assert states[key] == ("sms", True)
    assert before != states


def test_a_read_back_that_keeps_failing_is_unverified(emulator: Emulator, tmp_path: Path) -> None:
    keys, targets = _prepare(emulator, tmp_path, count=3)
    client = emulator.client()
    bulk.plan(client, targets, tmp_path / "plan.json", system_preferred=True)
    journal = tmp_path / "journal"
    assert bulk.apply(client, tmp_path / "plan.json", journal).verdict == "success"

    # Every read of one user fails: its read-back is tried again, then reported, not skipped.
    emulator.add_fault("get", "gateway_timeout", user=keys[1])
    once = emulator.client(max_attempts=1)
    report = bulk.apply(once, tmp_path / "plan.json", journal, resume=True, verify=True)
    assert report.verdict == "partial"
    assert report.counts == {"applied": 2, "unverified": 1}
    row = next(row for row in report.rows if row.user == keys[1])
    assert row.verified is None
    assert row.detail is not None and "could not be read back" in row.detail


def test_a_user_changed_after_planning_is_drifted_unless_drift_is_allowed(
    emulator: Emulator, tmp_path: Path
) -> None:
    keys, targets = _prepare(emulator, tmp_path, count=3)
    client = emulator.client()
    bulk.plan(client, targets, tmp_path / "plan.json", system_preferred=True)
    touched = keys[1]
    emulator.set_user_state(touched, preferred="voiceMobile", system_preferred=False)
    journal = tmp_path / "journal"

    report = bulk.apply(client, tmp_path / "plan.json", journal)
    assert report.verdict == "partial"
    assert report.counts == {"applied": 2, "drifted": 1}
    row = next(row for row in report.rows if row.user == touched)
    assert row.before == bulk.Values(method="sms", system_preferred=False)
    assert row.now == bulk.Values(method="voiceMobile", system_preferred=False)
    assert row.to_dict()["now"] == {"method": "voiceMobile", "systemPreferred": False}
    assert _states(emulator, [touched])[touched] == ("voiceMobile", False)

    report = bulk.apply(client, tmp_path / "plan.json", journal, resume=True, allow_drift=True)
    assert report.verdict == "success"
    assert report.counts == {"applied": 3}
    # The plan's whole target, its method included, over the later edit.
    assert _states(emulator, [touched])[touched] == ("sms", True)

    with pytest.raises(signin_prefs.ValidationError, match="allow_drift is for apply only"):
        bulk.rollback(client, journal, tmp_path / "refused", allow_drift=True)
    assert not (tmp_path / "refused").exists()
    undo = bulk.rollback(client, journal, tmp_path / "rollback")
    assert undo.verdict == "success"
    # What was really there before the write: the later edit, not the plan's sms.
    assert _states(emulator, [touched])[touched] == ("voiceMobile", False)


def test_a_finished_journal_is_not_overwritten(emulator: Emulator, tmp_path: Path) -> None:
    keys, targets = _prepare(emulator, tmp_path, count=3)
    client = emulator.client()
    bulk.plan(client, targets, tmp_path / "plan.json", system_preferred=True)
    bulk.apply(client, tmp_path / "plan.json", tmp_path / "journal")
    with pytest.raises(signin_prefs.BulkError, match="journal"):
        bulk.apply(client, tmp_path / "plan.json", tmp_path / "journal")


def test_bad_targets_are_a_validation_error(emulator: Emulator, tmp_path: Path) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text("user,method\nadele@contoso.com,carrierPigeon\n")
    with pytest.raises(signin_prefs.ValidationError, match="carrierPigeon"):
        bulk.plan(emulator.client(), targets, tmp_path / "plan.json", methods=["oath"])
    with pytest.raises(signin_prefs.ValidationError, match="carrierPigeon"):
        bulk.plan(emulator.client(), targets, tmp_path / "plan.json", methods=["carrierPigeon"])
    assert not (tmp_path / "plan.json").exists()


def test_one_user_named_by_object_id_and_principal_name_is_refused(
    emulator: Emulator, tmp_path: Path
) -> None:
    first, second = emulator.user_at(FIRST), emulator.user_at(FIRST + 1)
    assert first is not None and second is not None
    targets = tmp_path / "targets.csv"
    lines = [first["user_principal_name"], second["id"], first["id"]]
    targets.write_text("user\n" + "\n".join(lines) + "\n")
    with pytest.raises(signin_prefs.ValidationError) as refused:
        bulk.plan(emulator.client(), targets, tmp_path / "plan.json", methods=["oath"])
    assert f"{targets}:4: user" in str(refused.value)
    assert "on line 2" in str(refused.value)
    assert not (tmp_path / "plan.json").exists()


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"batch_size": 21}, "batch_size must be 1 to 20, not 21"),
        ({"batch_size": 0}, "batch_size must be 1 to 20, not 0"),
        ({"concurrency": 0}, "concurrency must be 1 to 32, not 0"),
        ({"concurrency": 33}, "concurrency must be 1 to 32, not 33"),
    ],
)
def test_bad_run_options_are_refused(
    emulator: Emulator, tmp_path: Path, options: Dict[str, int], named: str
) -> None:
    for run in (bulk.apply, bulk.rollback):
        with pytest.raises(signin_prefs.ValidationError, match=named):
            run(emulator.client(), tmp_path / "plan.json", tmp_path / "j", **options)
    assert not (tmp_path / "j").exists()


def test_an_unknown_setting_is_named_as_the_caller_wrote_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    for run, name in ((bulk.apply, "apply"), (bulk.rollback, "rollback")):
        with pytest.raises(TypeError, match=rf"^{name}\(\) got an unexpected keyword argument 'verfy'$"):
            run(emulator.client(), tmp_path / "plan.json", tmp_path / "j", verfy=True)  # type: ignore[call-arg]
    assert not (tmp_path / "j").exists()


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan")])
def test_a_time_limit_must_be_positive(emulator: Emulator, tmp_path: Path, seconds: float) -> None:
    for run in (bulk.apply, bulk.rollback):
        with pytest.raises(signin_prefs.ValidationError, match="max_duration must be a positive"):
            run(emulator.client(), tmp_path / "plan.json", tmp_path / "j", max_duration=seconds)
    assert not (tmp_path / "j").exists()


def test_a_generous_time_limit_changes_nothing(emulator: Emulator, tmp_path: Path) -> None:
    keys, targets = _prepare(emulator, tmp_path)
    client = emulator.client()
    bulk.plan(client, targets, tmp_path / "plan.json", system_preferred=True)
    report = bulk.apply(client, tmp_path / "plan.json", tmp_path / "journal", max_duration=600)
    assert report.verdict == "success"
    assert report.finished
    assert report.counts == {"applied": len(keys)}


@pytest.mark.parametrize("concurrency", [1, 32])
def test_any_number_of_batches_in_flight_applies_the_same(
    emulator: Emulator, tmp_path: Path, concurrency: int
) -> None:
    keys, targets = _prepare(emulator, tmp_path)
    client = emulator.client()
    bulk.plan(client, targets, tmp_path / "plan.json", system_preferred=True)
    report = bulk.apply(
        client, tmp_path / "plan.json", tmp_path / "journal", batch_size=3, concurrency=concurrency
    )
    assert report.verdict == "success"
    assert report.finished
    assert report.counts == {"applied": 25}
    assert [row.user for row in report.rows] == keys
    assert all(state == ("sms", True) for state in _states(emulator, keys).values())


def test_a_damaged_plan_is_a_bulk_error(emulator: Emulator, tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text("{}")
    with pytest.raises(signin_prefs.BulkError, match="not a plan"):
        bulk.apply(emulator.client(), tmp_path / "plan.json", tmp_path / "j")


def test_service_refusal_keeps_the_client_error_class(emulator: Emulator, tmp_path: Path) -> None:
    keys, targets = _prepare(emulator, tmp_path, count=3)
    reader = signin_prefs.Client(token=emulator.mint_token(roles=[READ_ALL]), base_url=emulator.base_url)
    bulk.plan(reader, targets, tmp_path / "plan.json", system_preferred=True)
    report = bulk.apply(reader, tmp_path / "plan.json", tmp_path / "journal")
    # Per-user refusals are outcomes in the report, not exceptions.
    assert report.verdict != "success"
    assert report.counts.get("failed") == 3
    assert all(
        row.detail is not None and ("403" in row.detail or "denied" in row.detail.lower())
        for row in report.rows
    )


def test_plan_from_the_registration_report(emulator: Emulator, tmp_path: Path) -> None:
    keys, targets = _prepare(emulator, tmp_path, count=10)
    client = emulator.client()
    per_user = bulk.plan(client, targets, tmp_path / "per-user.json", methods=["oath"])
    from_report = bulk.plan(
        client, targets, tmp_path / "report.json", methods=["oath"], from_report=True
    )
    assert from_report.summary == per_user.summary == {
        "change": 8,
        "alreadyCompliant": 0,
        "ineligible": 2,
        "error": 0,
        "excluded": 0,
        # `_prepare` turns system-preferred MFA off for every user: each new default counts.
        "takesEffect": 8,
    }
    assert [entry["action"] for entry in from_report.entries] == [
        entry["action"] for entry in per_user.entries
    ]
    # `read_path` names the way; `from_report` is its older spelling.
    by_name = bulk.plan(
        client, targets, tmp_path / "by-name.json", methods=["oath"], read_path="report"
    )
    assert by_name.summary == from_report.summary
    with pytest.raises(signin_prefs.ValidationError, match="read_path: .*auto, report or per-user"):
        bulk.plan(client, targets, tmp_path / "bad.json", methods=["oath"], read_path="fast")


POLICY_USERS = range(190, 194)  # users 190..193 of the session emulator are this test's


def test_plan_honours_the_authentication_methods_policy(emulator: Emulator, tmp_path: Path) -> None:
    keys: List[str] = []
    for index in POLICY_USERS:
        record = emulator.user_at(index)
        assert record is not None
        keys.append(record["id"])
        emulator.set_user_state(
            record["id"],
            methods=["mobilePhone", "microsoftAuthenticator", "softwareOath"],
            preferred="sms",
            system_preferred=False,
        )
    targets = tmp_path / "targets.csv"
    targets.write_text("user\n" + "\n".join(keys) + "\n")
    seeded = emulator.set_method_state("MicrosoftAuthenticator", "disabled")
    try:
        ids = [configuration["id"] for configuration in seeded["authenticationMethodConfigurations"]]
        assert "MicrosoftAuthenticator" in ids and "Sms" in ids
        # Only Authenticator's state changed.
        served = emulator.authentication_methods_policy()["authenticationMethodConfigurations"]
        assert {c["id"]: c["state"] for c in served} == {
            c["id"]: "disabled" if c["id"] == "MicrosoftAuthenticator" else c["state"]
            for c in seeded["authenticationMethodConfigurations"]
        }
        client = emulator.client()

        honoured = bulk.plan(client, targets, tmp_path / "plan.json", methods=["push", "oath"])
        assert honoured.summary["change"] == len(keys)
        for entry in honoured.entries:
            assert entry["target"]["method"] == "oath"
            assert "authentication methods policy" in entry["reason"]
            assert "Microsoft Authenticator: disabled" in entry["reason"]

        ignored = bulk.plan(
            client, targets, tmp_path / "ignored.json", methods=["push", "oath"], ignore_policy=True
        )
        assert [entry["target"]["method"] for entry in ignored.entries] == ["push"] * len(keys)

        # A token that may not read the policy stops the plan, unless it is ignored.
        unprivileged = signin_prefs.Client(
            token=emulator.mint_token(roles=[READ_WRITE_ALL]), base_url=emulator.base_url
        )
        with pytest.raises(signin_prefs.SignInPreferencesError, match="Policy.Read.All") as refused:
            bulk.plan(unprivileged, targets, tmp_path / "refused.json", methods=["push", "oath"])
        # In Python's words: the keyword argument, not the CLI's flag.
        assert "ignore_policy=True" in str(refused.value)
        assert "--ignore-policy" not in str(refused.value)
        assert not (tmp_path / "refused.json").exists()
        anyway = bulk.plan(
            unprivileged, targets, tmp_path / "anyway.json", methods=["push"], ignore_policy=True
        )
        assert anyway.summary["change"] == len(keys)
    finally:
        emulator.set_authentication_methods_policy(seeded)
    assert emulator.authentication_methods_policy() == seeded


def test_disabled_users_are_left_out_unless_included(tmp_path: Path) -> None:
    with Emulator(users=60, seed=3, disabled_percent=20) as tenant:
        records = [tenant.user_at(index) for index in range(60)]
        keys = [record["id"] for record in records if record is not None]
        disabled = {record["id"] for record in records if record and not record["account_enabled"]}
        assert 0 < len(disabled) < 60
        targets = tmp_path / "targets.csv"
        targets.write_text("user\n" + "\n".join(keys) + "\n")

        left_out = bulk.plan(tenant.client(), targets, tmp_path / "plan.json", methods=["push", "oath"])
        assert left_out.summary["disabled"] == len(disabled)
        assert {entry["user"] for entry in left_out.entries if entry["action"] == "disabled"} == disabled

        included = bulk.plan(
            tenant.client(), targets, tmp_path / "all.json", methods=["push", "oath"], include_disabled=True
        )
        assert "disabled" not in included.summary
        assert all(entry["action"] != "disabled" for entry in included.entries)


EVEN_POSITIONS = "0a11c0de-0000-4000-8000-000000000002"  # the emulator's seeded group of users 0, 2, 4, …


def test_plan_counts_where_each_new_default_counts(tmp_path: Path) -> None:
    with Emulator(users=8, seed=5) as tenant:
        keys: List[str] = []
        for index in range(8):
            record = tenant.user_at(index)
            assert record is not None
            keys.append(record["id"])
            # Users 3 and 7 have turned system-preferred MFA off for themselves.
            tenant.set_user_state(
                record["id"],
                methods=["mobilePhone", "microsoftAuthenticator"],
                preferred="sms",
                system_preferred=index % 4 != 3,
            )
        targets = tmp_path / "targets.csv"
        targets.write_text("user\n" + "\n".join(keys) + "\n")
        policy = tenant.authentication_methods_policy()
        policy["systemCredentialPreferences"] = {
            "state": "enabled",
            "includeTargets": [{"targetType": "group", "id": "all_users"}],
            "excludeTargets": [{"targetType": "group", "id": EVEN_POSITIONS}],
        }
        tenant.set_authentication_methods_policy(policy)

        def counts(flag_precedence: str) -> Tuple[int, int]:
            plan = bulk.plan(
                tenant.client(),
                targets,
                tmp_path / f"{flag_precedence}.json",
                methods=["push"],
                flag_precedence=flag_precedence,
            )
            assert plan.summary["change"] == 8
            reach = [entry["defaultReach"] for entry in plan.entries]
            assert reach.count("takesEffect") == plan.summary.get("takesEffect", 0)
            assert reach.count("npsAdfsOnly") == plan.summary.get("npsAdfsOnly", 0)
            return plan.summary.get("takesEffect", 0), plan.summary.get("npsAdfsOnly", 0)

        # The policy covers users 1, 3, 5, 7; users 3 and 7 opt out.
        assert counts("policy-and-user") == (6, 2)
        # The policy alone: its four users' defaults matter only to NPS and AD FS.
        assert counts("policy-only") == (4, 4)
        # The flag first: every user whose flag is on.
        assert counts("user-first") == (2, 6)
        with pytest.raises(signin_prefs.ValidationError, match="policy-and-user"):
            bulk.plan(tenant.client(), targets, tmp_path / "bad.json", methods=["push"], flag_precedence="both")


def _priorities_since(emulator: Emulator, before: Dict[str, int]) -> Dict[str, int]:
    now = emulator.throttle_priorities()
    return {name: count - before[name] for name, count in now.items() if count != before[name]}


def test_bulk_runs_send_low_priority_unless_told_otherwise(emulator: Emulator, tmp_path: Path) -> None:
    keys, targets = _prepare(emulator, tmp_path, count=5)
    client = emulator.client()

    before = emulator.throttle_priorities()
    bulk.plan(client, targets, tmp_path / "plan.json", methods=["oath"])
    bulk.apply(client, tmp_path / "plan.json", tmp_path / "apply.journal")
    bulk.readiness(client)
    sent = _priorities_since(emulator, before)
    assert set(sent) == {"low"} and sent["low"] > 0, sent

    before = emulator.throttle_priorities()
    bulk.rollback(client, tmp_path / "apply.journal", tmp_path / "rollback.journal", priority="High")
    sent = _priorities_since(emulator, before)
    assert set(sent) == {"high"}, sent

    # A single read is not bulk work: no header at all.
    before = emulator.throttle_priorities()
    client.get(keys[0])
    assert _priorities_since(emulator, before) == {"absent": 1}

    with pytest.raises(signin_prefs.ValidationError, match="low, normal or high"):
        bulk.plan(client, targets, tmp_path / "again.json", priority="urgent")  # type: ignore[arg-type]
