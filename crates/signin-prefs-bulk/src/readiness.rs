//! Readiness for the SMS and voice retirement, from the registration report: who defaults to a
//! phone method, who must register something before they can be moved, who system-preferred MFA
//! covers.
//!
//! Microsoft stops delivering its own SMS and voice codes on 1 February 2027 (Learn, Entra
//! authentication, "SMS and voice retirement"). Before planning the move, an administrator asks
//! how many users it concerns and how many cannot be moved yet. One paged read of the report
//! answers it for the whole tenant; each user is classified as its page arrives and only counts are
//! kept, so a tenant of a million users costs the same memory as one of ten.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use serde::Serialize;
use signin_prefs_client::{Client, Error as ClientError};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use crate::Error;
use crate::registration_report::{ReportedState, report_list};
use crate::state::Registered;

/// Methods a user can hold that are not second factors: the password is the first factor, and
/// Learn's "authentication methods" page says email and security questions serve self-service
/// password reset only.
const NOT_SECOND_FACTORS: [&str; 3] = ["password", "email", "securityQuestion"];

/// One user, as the report gives it and as readiness classifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserReadiness {
    /// The user principal name (or, without one, the object id).
    pub user: String,
    /// The object id.
    pub id: Option<String>,
    /// The default method, `None` when unset.
    pub default_method: Option<Method>,
    /// `isSystemPreferredAuthenticationMethodEnabled`.
    pub system_preferred: Option<bool>,
    /// The registered methods, sorted, without repeats.
    pub registered: Vec<Registered>,
}

impl UserReadiness {
    /// The user's default is SMS or a voice call: what the retirement ends.
    pub fn phone_default(&self) -> bool {
        self.default_method.as_ref().is_some_and(is_phone_method)
    }

    /// No registered method makes Authenticator push or OATH possible: the user must register one
    /// before a default can be moved off the phone.
    pub fn must_register(&self) -> bool {
        !self
            .registered
            .iter()
            .any(|method| method.enables(&Method::Push) || method.enables(&Method::Oath))
    }

    /// The user's second factors are phone numbers and nothing else.
    pub fn only_phone_methods(&self) -> bool {
        let second_factors: Vec<&Registered> = self
            .registered
            .iter()
            .filter(|method| match method {
                Registered::Other(name) => !NOT_SECOND_FACTORS.contains(&name.as_str()),
                _ => true,
            })
            .collect();
        !second_factors.is_empty() && second_factors.iter().all(|method| is_phone(method))
    }

    /// System-preferred MFA is on for the user.
    pub fn system_preferred(&self) -> bool {
        self.system_preferred == Some(true)
    }
}

/// Whether `method` is delivered by Microsoft's own SMS or voice service.
fn is_phone_method(method: &Method) -> bool {
    [
        Registered::MobilePhone,
        Registered::AlternateMobilePhone,
        Registered::OfficePhone,
    ]
    .iter()
    .any(|phone| phone.enables(method))
}

fn is_phone(method: &Registered) -> bool {
    matches!(
        method,
        Registered::MobilePhone | Registered::AlternateMobilePhone | Registered::OfficePhone
    )
}

/// The tenant's counts. Every user is in exactly one `by_default_method` entry; the other counts
/// are of users with that property.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    /// Users the report lists.
    pub users: u64,
    /// Users per default method (`none` for no default).
    pub by_default_method: BTreeMap<String, u64>,
    /// Users whose default is SMS or a voice call.
    pub phone_default: u64,
    /// Of those, users who could be moved now (Authenticator or OATH is registered).
    pub phone_default_movable: u64,
    /// Users with no method that allows Authenticator push or OATH: they must register first.
    pub must_register: u64,
    /// Users whose only second factors are phone numbers.
    pub only_phone_methods: u64,
    /// Users with system-preferred MFA on.
    pub system_preferred: u64,
}

impl Readiness {
    /// Counts `user` in.
    pub fn add(&mut self, user: &UserReadiness) {
        self.users += 1;
        let method = user
            .default_method
            .as_ref()
            .map_or("none", |method| method.as_str());
        *self.by_default_method.entry(method.to_owned()).or_default() += 1;
        let count = |yes: bool| u64::from(yes);
        self.phone_default += count(user.phone_default());
        self.phone_default_movable += count(user.phone_default() && !user.must_register());
        self.must_register += count(user.must_register());
        self.only_phone_methods += count(user.only_phone_methods());
        self.system_preferred += count(user.system_preferred());
    }
}

/// Reads the registration report page by page, handing each user to `each` as it is classified,
/// and returns the tenant's counts. Needs the report (Entra ID P1 or P2) and `AuditLog.Read.All`.
pub async fn read_readiness(
    client: &Client,
    each: &mut (dyn FnMut(&UserReadiness) + Send),
) -> Result<Readiness, ClientError> {
    let mut readiness = Readiness::default();
    client
        .for_each_item(report_list(None), |detail| {
            let state = ReportedState::of(&detail);
            let user = UserReadiness {
                user: detail
                    .user_principal_name
                    .clone()
                    .or_else(|| detail.id.clone())
                    .unwrap_or_default(),
                id: detail.id.clone(),
                default_method: state.method,
                system_preferred: state.system_preferred,
                registered: state.registered,
            };
            readiness.add(&user);
            each(&user);
        })
        .await?;
    Ok(readiness)
}

/// The columns of the per-user CSV.
pub const USERS_CSV_HEADER: [&str; 8] = [
    "user",
    "id",
    "defaultMethod",
    "systemPreferred",
    "methodsRegistered",
    "phoneDefault",
    "mustRegister",
    "onlyPhoneMethods",
];

/// [`read_readiness`], also writing one row per user to a new owner-only CSV file at `users_csv`
/// (never replacing a file there) as the report's pages arrive. A read that fails leaves no file.
pub async fn read_readiness_to_csv(client: &Client, users_csv: &Path) -> Result<Readiness, Error> {
    let file = crate::files::open_private(users_csv, true)?;
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let mut failed = writer.write_record(USERS_CSV_HEADER).err();
    let read = read_readiness(client, &mut |user| {
        if failed.is_none() {
            failed = writer.write_record(users_csv_row(user)).err();
        }
    })
    .await;
    let written = match (read, failed) {
        (Err(error), _) => Err(Error::Service {
            context: "cannot read the registration report".into(),
            source: Box::new(error),
        }),
        (Ok(_), Some(error)) => Err(Error::io(users_csv, std::io::Error::other(error))),
        (Ok(readiness), None) => writer
            .into_inner()
            .map_err(|error| error.into_error())
            .and_then(|mut file| file.flush().map(|()| file))
            .and_then(|file| file.get_ref().sync_all())
            .map(|()| readiness)
            .map_err(|error| Error::io(users_csv, error)),
    };
    if written.is_err() {
        // Half a list of users would read as the whole tenant.
        let _ = std::fs::remove_file(users_csv);
    }
    written
}

/// A user's row of the per-user CSV, in [`USERS_CSV_HEADER`]'s order.
fn users_csv_row(user: &UserReadiness) -> [String; 8] {
    let flag = |yes: bool| if yes { "yes" } else { "no" }.to_owned();
    [
        user.user.clone(),
        user.id.clone().unwrap_or_default(),
        user.default_method
            .as_ref()
            .map_or_else(String::new, |method| method.as_str().to_owned()),
        user.system_preferred.map_or_else(String::new, &flag),
        user.registered
            .iter()
            .map(Registered::name)
            .collect::<Vec<_>>()
            .join(";"),
        flag(user.phone_default()),
        flag(user.must_register()),
        flag(user.only_phone_methods()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn registered() -> impl Strategy<Value = Registered> {
        prop_oneof![
            Just(Registered::MicrosoftAuthenticator),
            Just(Registered::PasswordlessAuthenticator),
            Just(Registered::SoftwareOath),
            Just(Registered::HardwareOath),
            Just(Registered::MobilePhone),
            Just(Registered::AlternateMobilePhone),
            Just(Registered::OfficePhone),
            Just(Registered::Fido2),
            Just(Registered::WindowsHello),
            Just(Registered::Other("email".into())),
            Just(Registered::Other("passKeySynced".into())),
        ]
    }

    fn user() -> impl Strategy<Value = UserReadiness> {
        let methods: Vec<Method> = Method::MEMBERS
            .iter()
            .map(|name| Method::from_wire(name))
            .collect();
        (
            proptest::option::of(prop::sample::select(methods)),
            proptest::option::of(any::<bool>()),
            prop::collection::vec(registered(), 0..5),
        )
            .prop_map(
                |(default_method, system_preferred, registered)| UserReadiness {
                    user: "a@contoso.com".into(),
                    id: None,
                    default_method,
                    system_preferred,
                    registered,
                },
            )
    }

    proptest! {
        /// Every user is counted once by default method; each other count is the users with that
        /// property, and the movable phone defaults are the phone defaults that need nothing new.
        #[test]
        fn the_counts_are_the_users_with_each_property(users in prop::collection::vec(user(), 0..40)) {
            let mut readiness = Readiness::default();
            users.iter().for_each(|user| readiness.add(user));
            let count = |test: &dyn Fn(&UserReadiness) -> bool| {
                u64::try_from(users.iter().filter(|user| test(user)).count()).unwrap_or(u64::MAX)
            };
            prop_assert_eq!(readiness.users, count(&|_| true));
            prop_assert_eq!(readiness.by_default_method.values().sum::<u64>(), readiness.users);
            prop_assert_eq!(readiness.phone_default, count(&UserReadiness::phone_default));
            prop_assert_eq!(readiness.must_register, count(&UserReadiness::must_register));
            prop_assert_eq!(readiness.only_phone_methods, count(&UserReadiness::only_phone_methods));
            prop_assert_eq!(readiness.system_preferred, count(&UserReadiness::system_preferred));
            prop_assert_eq!(
                readiness.phone_default_movable,
                readiness.phone_default - count(&|user| user.phone_default() && user.must_register())
            );
            // Only phones registered means nothing allows push or OATH.
            prop_assert!(users.iter().all(|user| !user.only_phone_methods() || user.must_register()));
        }
    }

    #[test]
    fn a_phone_default_is_sms_or_a_voice_call_and_only_those() {
        for name in Method::MEMBERS {
            let method = Method::from_wire(name);
            let phone = method.as_str().starts_with("sms") || method.as_str().starts_with("voice");
            assert_eq!(is_phone_method(&method), phone, "{name}");
        }
    }

    #[test]
    fn email_and_security_questions_are_not_second_factors() {
        let user = UserReadiness {
            user: "a@contoso.com".into(),
            id: None,
            default_method: Some(Method::Sms),
            system_preferred: None,
            registered: vec![
                Registered::MobilePhone,
                Registered::Other("email".into()),
                Registered::Other("securityQuestion".into()),
            ],
        };
        assert!(user.only_phone_methods() && user.must_register() && user.phone_default());
        let with_passkey = UserReadiness {
            registered: vec![
                Registered::MobilePhone,
                Registered::Other("passKeySynced".into()),
            ],
            ..user
        };
        assert!(!with_passkey.only_phone_methods());
    }
}
