//! One identity is one user: a targets list naming a user once by object id and once by user
//! principal name is refused, naming both lines, before anything is planned.
//!
//! Keys of one kind name one user each exactly when they are equal in any letter case (an object
//! id is one user's; so is a principal name), which the targets file's own check already finds.
//! Across the two kinds only the directory can tell, so a list holding both has its smaller kind
//! resolved to the other: `GET /users?$filter=id eq '…'` (or `userPrincipalName eq '…'`) with
//! `$select=id,userPrincipalName`, in `$batch`es on the read budget. Both properties support `eq`
//! in `$filter` (<https://learn.microsoft.com/graph/api/resources/user>), and listing users needs
//! `User.Read.All` as an application permission (<https://learn.microsoft.com/graph/api/user-list>).
//! A list of one kind sends nothing; one of a few object ids among a million names sends a few
//! reads. A key the directory does not know names no one else: it is left to the plan's reads.

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use signin_prefs_client::{Charge, Client, Error as ClientError, ErrorKind, MAX_BATCH_SIZE};
use signin_prefs_core::CollectionPage;
use signin_prefs_model::text::show_value;
use signin_prefs_request::{ListUser, UserKey};

use crate::Error;
use crate::key_digest::KeyDigest;
use crate::state::read_again;
use crate::targets::{InputErrors, InputProblem, TargetList};

/// `$batch`es of lookups in flight; the pacer holds them to the read budget.
const BATCHES_IN_FLIGHT: usize = 4;

/// Refuses `targets` (read from `source`) when two of its keys, an object id and a user principal
/// name, are the same user: [`Error::Input`], every such pair named by both lines. Sends nothing
/// unless the list holds keys of both kinds.
pub(crate) async fn refuse_one_user_under_two_keys(
    client: &Client,
    targets: &TargetList,
    source: &str,
) -> Result<(), Error> {
    let (ids, names): (Vec<usize>, Vec<usize>) = (0..targets.len()).partition(|index| {
        targets
            .user(*index)
            .is_some_and(|user| UserKey::parse(user).is_ok_and(|key| key.is_object_id()))
    });
    if ids.is_empty() || names.is_empty() {
        return Ok(());
    }
    // The smaller kind is looked up, and what the directory answers is found among the other.
    let (looked_up, by_id) = if ids.len() <= names.len() {
        (ids, true)
    } else {
        (names, false)
    };
    let mut others: Vec<(KeyDigest, usize)> = (0..targets.len())
        .filter_map(|index| Some((KeyDigest::of(targets.user(index)?), index)))
        .collect();
    others.sort_unstable();
    let lookups: Vec<(usize, String)> = looked_up
        .into_iter()
        .filter_map(|index| Some((index, targets.user(index)?.to_owned())))
        .collect();
    let mut chunks = lookups.chunks(MAX_BATCH_SIZE);
    let mut in_flight = FuturesUnordered::new();
    let mut pairs = Vec::new();
    loop {
        while in_flight.len() < BATCHES_IN_FLIGHT {
            let Some(chunk) = chunks.next() else { break };
            in_flight.push(look_up(client, chunk, by_id));
        }
        let Some(answer) = in_flight.next().await else {
            break;
        };
        for (index, other_key) in answer? {
            let digest = KeyDigest::of(&other_key);
            let from = others.partition_point(|(known, _)| *known < digest);
            for (_, other) in others
                .iter()
                .skip(from)
                .take_while(|(known, _)| *known == digest)
            {
                if *other != index {
                    pairs.push((index.min(*other), index.max(*other)));
                }
            }
        }
    }
    if pairs.is_empty() {
        return Ok(());
    }
    pairs.sort_unstable();
    pairs.dedup();
    let problems = pairs
        .into_iter()
        .map(|(first, again)| same_user_problem(targets, source, first, again))
        .collect();
    Err(Error::Input(InputErrors { problems }))
}

/// The problem of the target at `again`, the same user as the one at `first`.
fn same_user_problem(
    targets: &TargetList,
    source: &str,
    first: usize,
    again: usize,
) -> InputProblem {
    let kind = targets.line_kind();
    let first_place = match kind {
        crate::targets::LineKind::ArrayItem => "item",
        _ => "line",
    };
    InputProblem {
        source: source.to_owned(),
        line: targets.line(again).unwrap_or_default(),
        line_kind: kind,
        field: Some("user".to_owned()),
        value: targets.user(again).map(str::to_owned),
        message: format!(
            "the same user as on {first_place} {} (\"{}\"): the directory gives both keys to one user; list each user once",
            targets.line(first).unwrap_or_default(),
            show_value(targets.user(first).unwrap_or_default())
        ),
    }
}

/// Looks up each `(index, key)` of `chunk` (object ids when `by_id`, else principal names) in one
/// `$batch`, sending again those throttled or whose answer was lost; gives each found user's
/// other key. A lookup that still fails stops the check: it cannot tell.
async fn look_up(
    client: &Client,
    chunk: &[(usize, String)],
    by_id: bool,
) -> Result<Vec<(usize, String)>, Error> {
    let mut found = Vec::new();
    let mut pending: Vec<(usize, &str, u8)> = chunk
        .iter()
        .map(|(index, key)| (*index, key.as_str(), 0))
        .collect();
    while !pending.is_empty() {
        let lookups: Vec<ListUser> = pending
            .iter()
            .map(|(_, key, _)| lookup(key, by_id))
            .collect();
        let reads = Charge::reads_and_writes(u64::try_from(lookups.len()).unwrap_or(u64::MAX), 0);
        client.pacer().ready(&reads).await;
        let answers = client.batch(&lookups).await;
        let mut again = Vec::new();
        for ((index, key, mut rereads), answer) in pending.into_iter().zip(answers) {
            match answer.result {
                Ok(page) => found.extend(page.into_items().into_iter().filter_map(|user| {
                    let other = if by_id {
                        user.user_principal_name
                    } else {
                        user.id
                    };
                    Some((index, other?))
                })),
                Err(error) if read_again(&error, &mut rereads) => {
                    again.push((index, key, rereads));
                }
                Err(error) => return Err(cannot_tell(key, error)),
            }
        }
        pending = again;
    }
    Ok(found)
}

/// `GET /users?$filter=… eq '…'&$select=id,userPrincipalName` for `key`.
fn lookup(key: &str, by_id: bool) -> ListUser {
    let property = if by_id { "id" } else { "userPrincipalName" };
    let mut list = ListUser::new();
    // An OData string literal doubles its quotes.
    list.filter = Some(format!("{property} eq '{}'", key.replace('\'', "''")));
    list.select = vec!["id".into(), "userPrincipalName".into()];
    list
}

/// The stop when a lookup fails: without it, whether two keys are one user cannot be told.
fn cannot_tell(key: &str, error: ClientError) -> Error {
    if error.kind() == ErrorKind::Forbidden {
        Error::Guard(format!(
            "the targets name users both by object id and by user principal name, and telling whether two of them are one user needs User.Read.All, which the token lacks; grant it, or name every user by one kind of key ({error})"
        ))
    } else {
        Error::Service {
            context: format!(
                "cannot tell whether \"{}\" is a user the targets also name by its other key",
                show_value(key)
            ),
            source: Box::new(error),
        }
    }
}
