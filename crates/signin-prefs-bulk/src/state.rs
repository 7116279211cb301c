//! Reading what the bulk engine decides on: each user's preferences and registered methods.

use std::collections::VecDeque;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::{Deserialize, Serialize};
use signin_prefs_client::{Charge, Client, Error as ClientError, MAX_BATCH_SIZE};
use signin_prefs_core::CollectionPage;
use signin_prefs_model::{
    AnyAuthenticationMethod, AuthenticationMethodCollectionResponse, AuthenticationPhoneType,
    SignInPreferences, UserDefaultAuthenticationMethodType as Method,
};
use signin_prefs_request::{GetSignInPreference, ListMethod};

use crate::queue::next_chunk;

/// `$batch`es of reads [`read_states`] keeps in flight, as many as an apply keeps of writes by
/// default: as one answers, the next is sent. The client's pacing holds them to the read budget,
/// so the window only has to be wide enough to keep that budget busy.
pub const READS_IN_FLIGHT: usize = 8;

/// Reads of one user's state: its `signInPreferences` and its registered methods.
pub const READS_PER_USER: u64 = 2;

/// Users per group: one `$batch` of their preferences and one of their methods, sent together.
const USERS_PER_GROUP: usize = MAX_BATCH_SIZE;

/// Groups in flight: two `$batch`es each.
const GROUPS_IN_FLIGHT: usize = READS_IN_FLIGHT / 2;

/// A method a user has registered, as far as the choice of a default MFA method is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Registered {
    /// Microsoft Authenticator (push, and its own one-time codes).
    MicrosoftAuthenticator,
    /// Microsoft Authenticator set up for passwordless phone sign-in only.
    PasswordlessAuthenticator,
    /// A software OATH token.
    SoftwareOath,
    /// A hardware OATH token.
    HardwareOath,
    /// A phone of type `mobile`.
    MobilePhone,
    /// A phone of type `alternateMobile`.
    AlternateMobilePhone,
    /// A phone of type `office`.
    OfficePhone,
    /// A FIDO2 key or passkey.
    Fido2,
    /// Windows Hello for Business.
    WindowsHello,
    /// A method that plays no part in the default MFA method (password, email, TAP, …), by
    /// `@odata.type`.
    Other(String),
}

impl Registered {
    /// Classifies one entry of `…/authentication/methods`.
    pub fn of(method: &AnyAuthenticationMethod) -> Self {
        match method {
            AnyAuthenticationMethod::MicrosoftAuthenticatorAuthenticationMethod(_) => {
                Self::MicrosoftAuthenticator
            }
            AnyAuthenticationMethod::PasswordlessMicrosoftAuthenticatorAuthenticationMethod(_) => {
                Self::PasswordlessAuthenticator
            }
            AnyAuthenticationMethod::SoftwareOathAuthenticationMethod(_) => Self::SoftwareOath,
            AnyAuthenticationMethod::PhoneAuthenticationMethod(phone) => match &phone.phone_type {
                Some(AuthenticationPhoneType::AlternateMobile) => Self::AlternateMobilePhone,
                Some(AuthenticationPhoneType::Office) => Self::OfficePhone,
                // A phone without a type is a mobile one: that is the service's default.
                _ => Self::MobilePhone,
            },
            AnyAuthenticationMethod::Fido2AuthenticationMethod(_) => Self::Fido2,
            AnyAuthenticationMethod::WindowsHelloForBusinessAuthenticationMethod(_) => {
                Self::WindowsHello
            }
            AnyAuthenticationMethod::Unknown(base) => {
                let odata_type = base
                    .additional_properties
                    .get("@odata.type")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("(no @odata.type)");
                // Hardware tokens are not in the product's slice of the spec, but count for `oath`.
                if odata_type == "#microsoft.graph.hardwareOathAuthenticationMethod" {
                    Self::HardwareOath
                } else {
                    Self::Other(short_name(odata_type))
                }
            }
            other => Self::Other(odata_type_of(other)),
        }
    }

    /// Whether this method makes `preferred` possible as the default MFA method.
    ///
    /// The service's exact rule is not published; this follows the documented meaning of each
    /// member: push needs Authenticator, oath any source of one-time codes, sms and voiceMobile a
    /// mobile phone, the other voice members their phone type.
    pub fn enables(&self, preferred: &Method) -> bool {
        match preferred {
            Method::Push => *self == Self::MicrosoftAuthenticator,
            Method::Oath => matches!(
                self,
                Self::MicrosoftAuthenticator | Self::SoftwareOath | Self::HardwareOath
            ),
            Method::Sms | Method::VoiceMobile => *self == Self::MobilePhone,
            Method::VoiceAlternateMobile => *self == Self::AlternateMobilePhone,
            Method::VoiceOffice => *self == Self::OfficePhone,
            _ => false,
        }
    }

    /// A short name for plans and reports.
    pub fn name(&self) -> String {
        match self {
            Self::Other(name) => name.clone(),
            known => serde_json::to_value(known)
                .ok()
                .and_then(|value| value.as_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }
}

fn odata_type_of(method: &AnyAuthenticationMethod) -> String {
    serde_json::to_value(method)
        .ok()
        .and_then(|value| {
            value
                .get("@odata.type")
                .and_then(|t| t.as_str())
                .map(str::to_owned)
        })
        .map_or_else(|| "unknown".to_owned(), |t| short_name(&t))
}

/// `#microsoft.graph.passwordAuthenticationMethod` -> `password`.
fn short_name(odata_type: &str) -> String {
    let name = odata_type.trim_start_matches("#microsoft.graph.");
    name.strip_suffix("AuthenticationMethod")
        .unwrap_or(name)
        .to_owned()
}

impl Registered {
    /// The method a registration report's `methodsRegistered` entry stands for.
    pub fn from_report_name(name: &str) -> Self {
        match name {
            "microsoftAuthenticatorPush" => Self::MicrosoftAuthenticator,
            "microsoftAuthenticatorPasswordless" => Self::PasswordlessAuthenticator,
            "softwareOneTimePasscode" => Self::SoftwareOath,
            "hardwareOneTimePasscode" => Self::HardwareOath,
            "mobilePhone" => Self::MobilePhone,
            "alternateMobilePhone" => Self::AlternateMobilePhone,
            "officePhone" => Self::OfficePhone,
            // Names observed in tenants' reports (`fido2SecurityKey`, `passKeyDeviceBoundWindowsHello`,
            // `passKeySynced`: tenant-realities.md) and the resource page's example
            // (`passKeyDeviceBound`: microsoft-graph-docs-contrib,
            // `api-reference/beta/resources/userregistrationdetails.md`).
            "fido2"
            | "fido2SecurityKey"
            | "passKeyDeviceBound"
            | "passKeyDeviceBoundAuthenticator"
            | "passKeyDeviceBoundWindowsHello"
            | "passKeySynced" => Self::Fido2,
            "windowsHelloForBusiness" => Self::WindowsHello,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The registration report's `methodsRegistered` names of the methods that make `preferred`
    /// possible ([`Registered::enables`]), for a `methodsRegistered/any(x:x eq '…')` filter;
    /// `None` for a member no registered method enables. Authenticator users are listed with
    /// `softwareOneTimePasscode` too (Microsoft's sample, microsoft-graph-docs-contrib
    /// `api-reference/beta/api/authenticationmethodsroot-list-userregistrationdetails.md`), so `oath`
    /// needs only the two token names.
    pub fn report_names_enabling(preferred: &Method) -> Option<&'static [&'static str]> {
        match preferred {
            Method::Push => Some(&["microsoftAuthenticatorPush"]),
            Method::Oath => Some(&["softwareOneTimePasscode", "hardwareOneTimePasscode"]),
            Method::Sms | Method::VoiceMobile => Some(&["mobilePhone"]),
            Method::VoiceAlternateMobile => Some(&["alternateMobilePhone"]),
            Method::VoiceOffice => Some(&["officePhone"]),
            _ => None,
        }
    }
}

/// Whether `registered` makes `preferred` possible.
pub fn supports(registered: &[Registered], preferred: &Method) -> bool {
    registered.iter().any(|method| method.enables(preferred))
}

/// One user's state, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct UserState {
    /// The key the user was targeted by (object id or UPN).
    pub user: String,
    /// The sign-in preferences.
    pub preferences: SignInPreferences,
    /// The registered methods, sorted.
    pub registered: Vec<Registered>,
}

/// Reads every user's preferences and registered methods in `$batch`es; one result per key, in order.
pub async fn read_states(client: &Client, users: &[String]) -> Vec<Result<UserState, ClientError>> {
    read_states_with_progress(client, users, &mut |_| {}).await
}

/// [`read_states`], calling `progress` with the number of users settled so far: once with 0 before
/// anything is sent, then as each group of [`MAX_BATCH_SIZE`] users comes back.
///
/// Users go in groups of [`MAX_BATCH_SIZE`], each group one `$batch` of preferences and one of
/// methods, with [`READS_IN_FLIGHT`] `$batch`es in flight: as a group answers, the next is sent.
/// Each waits on the client's pacer for its reads before it goes, so the wait the read budget
/// imposes is spent there rather than against the client's deadline. The operations are built
/// one group at a time, so memory beyond the results does not grow with the number of users. A
/// user whose read the service still throttled when the client stopped waiting goes back in the
/// queue, first in the next group: throttling never fails a user. A read whose answer was lost or
/// garbled (a `$batch` answer that does not decode, a connection cut, a timeout) is sent again up
/// to `REREADS` times: a read changes nothing, so repeating it is always safe.
pub async fn read_states_with_progress(
    client: &Client,
    users: &[String],
    progress: &mut (dyn FnMut(usize) + Send),
) -> Vec<Result<UserState, ClientError>> {
    let mut states: Vec<Option<Result<UserState, ClientError>>> =
        std::iter::repeat_with(|| None).take(users.len()).collect();
    let mut fresh = users.iter().map(String::as_str).enumerate();
    let mut requeued: VecDeque<(usize, &str)> = VecDeque::new();
    let mut rereads = vec![0_u8; users.len()];
    let mut in_flight = FuturesUnordered::new();
    let mut settled = 0;
    progress(settled);
    loop {
        while in_flight.len() < GROUPS_IN_FLIGHT {
            let group = next_chunk(&mut requeued, &mut fresh, USERS_PER_GROUP);
            if group.is_empty() {
                break;
            }
            in_flight.push(read_group(client, group));
        }
        let Some(read) = in_flight.next().await else {
            break;
        };
        for (index, user, state) in read {
            match state {
                Err(error)
                    if rereads
                        .get_mut(index)
                        .is_some_and(|count| read_again(&error, count)) =>
                {
                    requeued.push_back((index, user));
                }
                state => {
                    if let Some(slot) = states.get_mut(index) {
                        *slot = Some(state);
                    }
                    settled += 1;
                }
            }
        }
        progress(settled);
    }
    // Every user is settled once the queue is empty and nothing is in flight; were one not, the
    // answers stop before it rather than shift onto the wrong users.
    states.into_iter().map_while(|state| state).collect()
}

/// Times a user's read is sent again after its answer was lost or garbled.
const REREADS: u8 = 3;

/// Whether a read that ended in `error` is sent again: always when the service throttled it
/// (throttling never fails a read), and up to [`REREADS`] times, counted in `rereads`, when its
/// answer was lost or garbled (a read changes nothing, so repeating it is safe).
pub(crate) fn read_again(error: &ClientError, rereads: &mut u8) -> bool {
    if error.was_throttled() {
        return true;
    }
    if error.answer_was_lost() && *rereads < REREADS {
        *rereads += 1;
        return true;
    }
    false
}

/// One group's states: a `$batch` of preferences and one of methods, side by side, then any
/// further pages of methods.
async fn read_group<'a>(
    client: &Client,
    group: Vec<(usize, &'a str)>,
) -> Vec<(usize, &'a str, Result<UserState, ClientError>)> {
    let preference_reads: Vec<GetSignInPreference> = group
        .iter()
        .map(|(_, user)| GetSignInPreference::new(*user))
        .collect();
    let method_reads: Vec<ListMethod> = group
        .iter()
        .map(|(_, user)| ListMethod::new(*user))
        .collect();
    let reads = Charge::reads_and_writes(u64::try_from(group.len()).unwrap_or(u64::MAX), 0);
    let (preferences, methods) = futures_util::future::join(
        async {
            client.pacer().ready(&reads).await;
            client.batch(&preference_reads).await
        },
        async {
            client.pacer().ready(&reads).await;
            client.batch(&method_reads).await
        },
    )
    .await;
    let mut states = Vec::with_capacity(group.len());
    for (((index, user), preference), method_page) in
        group.into_iter().zip(preferences).zip(methods)
    {
        let state = match (preference.result, method_page.result) {
            (Ok(preferences), Ok(page)) => {
                all_methods(client, page).await.map(|registered| UserState {
                    user: user.to_owned(),
                    preferences,
                    registered,
                })
            }
            // A throttled read first, so that the user is read again rather than failed.
            (Err(error), _) | (_, Err(error)) if error.was_throttled() => Err(error),
            (Err(error), _) | (_, Err(error)) => Err(error),
        };
        states.push((index, user, state));
    }
    states
}

/// Reads only the preferences (verification and resume need no more), batched, in order.
pub async fn read_preferences(
    client: &Client,
    users: &[String],
) -> Vec<Result<SignInPreferences, ClientError>> {
    let reads: Vec<GetSignInPreference> = users.iter().map(GetSignInPreference::new).collect();
    client
        .batch(&reads)
        .await
        .into_iter()
        .map(|item| item.result)
        .collect()
}

/// The methods on a page and every page after it.
async fn all_methods(
    client: &Client,
    first: AuthenticationMethodCollectionResponse,
) -> Result<Vec<Registered>, ClientError> {
    let mut registered = Vec::new();
    let mut page = first;
    loop {
        let next = page.next_link().map(str::to_owned);
        registered.extend(page.into_items().iter().map(Registered::of));
        let Some(link) = next else { break };
        page = client.follow_next_link(&link).await?;
    }
    registered.sort();
    registered.dedup();
    Ok(registered)
}

/// For property tests: any method the choice of a default knows, or one of `others` (by
/// `@odata.type` or report name) that plays no part in it.
#[cfg(test)]
pub(crate) fn any_registered(
    others: &[&str],
) -> impl proptest::strategy::Strategy<Value = Registered> + use<> {
    let mut methods = vec![
        Registered::MicrosoftAuthenticator,
        Registered::PasswordlessAuthenticator,
        Registered::SoftwareOath,
        Registered::HardwareOath,
        Registered::MobilePhone,
        Registered::AlternateMobilePhone,
        Registered::OfficePhone,
        Registered::Fido2,
        Registered::WindowsHello,
    ];
    methods.extend(
        others
            .iter()
            .map(|name| Registered::Other((*name).to_owned())),
    );
    proptest::sample::select(methods)
}
