//! Reading what the bulk engine decides on: each user's preferences and registered methods.

use serde::{Deserialize, Serialize};
use signin_prefs_client::{Client, Error as ClientError};
use signin_prefs_core::CollectionPage;
use signin_prefs_model::{
    AnyAuthenticationMethod, AuthenticationMethodCollectionResponse, AuthenticationPhoneType,
    SignInPreferences, UserDefaultAuthenticationMethodType as Method,
};
use signin_prefs_request::{GetSignInPreference, ListMethod, ListUserRegistrationDetail};

/// How many users' states one round of `$batch`es reads (20 requests per batch, two per user).
const USERS_PER_ROUND: usize = 10;

/// A method a user has registered, as far as the choice of a default MFA method is concerned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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
            "fido2" | "passKeyDeviceBound" | "passKeyDeviceBoundAuthenticator" => Self::Fido2,
            "windowsHelloForBusiness" => Self::WindowsHello,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// The state of every user in the tenant's registration report, by lower-cased UPN and object id.
///
/// One paged read instead of two requests per user, for tenants that have the report (it needs
/// Entra ID P1 or P2). The report is refreshed by the service periodically, so it can trail recent
/// changes; `apply --verify` reads every changed user back.
pub async fn read_report(
    client: &Client,
) -> Result<std::collections::BTreeMap<String, UserState>, ClientError> {
    let mut list = ListUserRegistrationDetail::new();
    list.top = Some(999);
    let details = client.all_items(list).await?;
    let mut states = std::collections::BTreeMap::new();
    for detail in details {
        let mut preferences = SignInPreferences::default();
        preferences.is_system_preferred_authentication_method_enabled =
            detail.is_system_preferred_authentication_method_enabled;
        // The report says `none` where the preference itself is unset.
        preferences.user_preferred_method_for_secondary_authentication = detail
            .user_preferred_method_for_secondary_authentication
            .as_ref()
            .map(|method| method.as_str())
            .filter(|method| *method != "none")
            .map(Method::from_wire);
        let mut registered: Vec<Registered> = detail
            .methods_registered
            .iter()
            .flatten()
            .map(|name| Registered::from_report_name(name))
            .collect();
        registered.sort();
        registered.dedup();
        let keys = [detail.user_principal_name.clone(), detail.id.clone()];
        for key in keys.into_iter().flatten() {
            states.insert(
                key.to_lowercase(),
                UserState {
                    user: key,
                    preferences: preferences.clone(),
                    registered: registered.clone(),
                },
            );
        }
    }
    Ok(states)
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
    let mut states = Vec::with_capacity(users.len());
    for round in users.chunks(USERS_PER_ROUND) {
        let preference_reads: Vec<GetSignInPreference> =
            round.iter().map(GetSignInPreference::new).collect();
        let method_reads: Vec<ListMethod> = round.iter().map(ListMethod::new).collect();
        let preferences = client.batch(&preference_reads).await;
        let methods = client.batch(&method_reads).await;
        for ((user, preference), method_page) in round.iter().zip(preferences).zip(methods) {
            let state = match (preference.result, method_page.result) {
                (Ok(preferences), Ok(page)) => match all_methods(client, page).await {
                    Ok(registered) => Ok(UserState {
                        user: user.clone(),
                        preferences,
                        registered,
                    }),
                    Err(error) => Err(error),
                },
                (Err(error), _) | (_, Err(error)) => Err(error),
            };
            states.push(state);
        }
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
