//! `--flag-precedence`, and reading the tenant's side of system-preferred MFA for one user: what
//! `explain` and `set` share. The rule itself is the library's (`signin_prefs_bulk::system_preferred`).

use clap::Args;
use signin_prefs_bulk::policy::MethodsPolicy;
use signin_prefs_bulk::system_preferred::{Coverage, FlagPrecedence};
use signin_prefs_client::Client;

/// `--flag-precedence`, declared once for every command that tells whether system-preferred MFA
/// applies to a user.
#[derive(Debug, Args)]
pub(crate) struct FlagPrecedenceArg {
    /// How a user's own isSystemPreferredAuthenticationMethodEnabled and the tenant's
    /// system-preferred MFA policy combine, which Microsoft does not publish (an assumption):
    /// `policy-and-user` (system-preferred MFA applies where the policy applies it and the user's
    /// flag is not off), `user-first` (a set flag decides, an unset one follows the policy) or
    /// `policy-only` (the flag is ignored).
    #[arg(long, default_value = "policy-and-user", value_parser = parse_flag_precedence)]
    pub(crate) flag_precedence: FlagPrecedence,
}

fn parse_flag_precedence(text: &str) -> Result<FlagPrecedence, String> {
    text.parse()
}

/// The tenant's policy, or why it could not be read, as a sentence for the output: without it
/// the policy's side of system-preferred MFA is unknown, which the output says rather than guess.
pub(crate) async fn read_policy(client: &Client) -> Result<MethodsPolicy, String> {
    MethodsPolicy::read(client)
        .await
        .map_err(|error| match error {
            signin_prefs_bulk::Error::Guard(message) => message,
            signin_prefs_bulk::Error::Refused(refusal) => refusal.to_string(),
            other => other.to_string(),
        })
}

/// System-preferred MFA for `user` holding `user_flag`, under the policy if it was read.
pub(crate) fn coverage(
    policy: &Result<MethodsPolicy, String>,
    user: &str,
    user_flag: Option<bool>,
    precedence: FlagPrecedence,
) -> Coverage {
    Coverage::for_user(policy.as_ref().ok(), user, user_flag, precedence)
}
