//! The subcommands. Each is a module with an `Args` struct and a `run` function.

mod bulk;
mod completions;
mod connection;
#[cfg(feature = "emulator")]
mod demo;
mod doctor;
mod doctor_findings;
#[cfg(feature = "emulator")]
mod emulator;
#[cfg(feature = "emulator")]
mod emulator_banner;
mod explain;
mod html;
mod interrupt;
mod login;
mod manpages;
mod output;
mod profiles;
mod progress;
mod readiness;
mod run_folder;
mod single;
mod stdout;
mod system_preferred;
#[cfg(not(feature = "emulator"))]
mod without_emulator;

use clap::Subcommand;

#[cfg(not(feature = "emulator"))]
use without_emulator::{Args as DemoArgs, Args as EmulatorArgs, UNAVAILABLE};
#[cfg(feature = "emulator")]
use {demo::Args as DemoArgs, emulator::Args as EmulatorArgs};

pub(crate) use interrupt::{INTERRUPTED, remember_arguments};

use crate::error::Error;

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show one user's sign-in preferences.
    Get(single::GetArgs),
    /// Set one user's default MFA method and/or system-preferred flag, showing before and after.
    ///
    /// With --method, `set` also reads the tenant's authentication methods policy and warns on
    /// stderr when system-preferred MFA applies to the user (see --flag-precedence), so that the
    /// new default matters only to the NPS extension and the AD FS adapter.
    Set(single::SetArgs),
    /// Count the users the SMS and voice retirement concerns, who must register first, and whom the
    /// authentication methods policy keeps from push or OATH.
    Readiness(readiness::Args),
    /// Read the targeted users' state and write a plan of what to change (sends no change).
    ///
    /// Ctrl-C or SIGTERM stops it where it is, leaving no plan file (exit 130).
    Plan(bulk::PlanArgs),
    /// Apply a plan, journaling every batch; resumable after any interruption. Users changed since
    /// the plan was made are left as they are (`drifted`) unless --allow-drift.
    ///
    /// Ctrl-C or SIGTERM stops it cleanly: nothing more is sent, the batches on the wire are
    /// answered and journaled, and it prints the command that resumes and exits 130. A second
    /// Ctrl-C quits at once; --resume then reads back the users whose answers were not journaled.
    Apply(bulk::ApplyArgs),
    /// Restore what an apply journal changed.
    ///
    /// Ctrl-C or SIGTERM stops it as it stops `apply`, printing the command that resumes.
    Rollback(bulk::RollbackArgs),
    /// Report on a journal: every user accounted for.
    Report(bulk::ReportArgs),
    /// Explain what a user will be prompted for at sign-in, and why.
    ///
    /// Reads the user's preferences and registered methods and the tenant's authentication
    /// methods policy: its system-preferred MFA setting (systemCredentialPreferences) and which
    /// methods it allows the user. Where system-preferred MFA applies, the user is prompted for
    /// the most secure registered method the policy allows, in the order of Learn's
    /// "System-preferred multifactor authentication" (Temporary Access Pass, passkey/FIDO2,
    /// external methods, Authenticator notifications, TOTP, telephony, certificate), and the
    /// default method matters only to the NPS extension and the AD FS adapter; elsewhere the
    /// default method is what is prompted for. Without Policy.Read.All (or
    /// Policy.Read.AuthenticationMethod) the policy's side is reported as unknown.
    Explain(explain::Args),
    /// Check that the configured credential can do what a run needs, and say which credential
    /// was chosen and why.
    Doctor(doctor::Args),
    /// Sign in as an administrator (Authentication Administrator or Privileged Authentication
    /// Administrator) with a device code: open the page it prints on any device and type the
    /// code. The sign-in is kept in an owner-only token cache (SIGNIN_PREFS_TOKEN_CACHE, default
    /// ~/.cache/signin-prefs/token-cache.json) and refreshed silently; later commands use it when
    /// no app credential is configured (or SIGNIN_PREFS_CREDENTIAL=device-code). Needs
    /// SIGNIN_PREFS_TENANT_ID and SIGNIN_PREFS_CLIENT_ID (a public client app registration).
    Login(login::Args),
    /// Forget the sign-in `login` kept (for this tenant and app, or every one).
    Logout(login::Args),
    /// List the config file's named profiles: tenant, cloud, credential and the folder their runs'
    /// files go to.
    ///
    /// A profile is a `[profiles.NAME]` table of the config file holding the same keys as the
    /// file's top level (tenant_id, client_id, cloud, a credential...) and optionally `folder`.
    /// `--profile NAME` on any command (or SIGNIN_PREFS_PROFILE) uses it: relative paths of plans,
    /// journals and reports then lead into its folder (default
    /// ~/.local/share/signin-prefs/profiles/NAME, owner-only), and a variable of the environment
    /// that contradicts one of its keys is refused, never obeyed.
    Profiles(profiles::Args),
    /// Run a whole bulk job on an embedded emulator: seed, plan, apply, verify, report.
    #[cfg_attr(not(feature = "emulator"), command(hide = true, about = UNAVAILABLE))]
    Demo(DemoArgs),
    /// Run the local Graph emulator until interrupted.
    ///
    /// Once listening it prints its base URL (the first line alone), the Graph and token URLs,
    /// the tenant, the default app's client id and secret, the groups, the budgets, a plain user
    /// and a guest with their object ids, and how to list the rest. With --print-env, standard
    /// output holds only `export` lines for SIGNIN_PREFS_* and AZURE_* (source them:
    /// `signin-prefs emulator --print-env > emulator.env &` then `. ./emulator.env`) and the rest
    /// goes to standard error. The README's "Test your scripts against the emulator" drives it
    /// with curl and Microsoft's Python SDK.
    #[cfg_attr(
        not(feature = "emulator"),
        command(hide = true, about = UNAVAILABLE, long_about = None)
    )]
    Emulator(EmulatorArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    ///
    /// For example `signin-prefs completions bash > ~/.local/share/bash-completion/completions/signin-prefs`.
    Completions(completions::Args),
    /// Write the man pages (`cargo xtask man` runs this).
    #[command(hide = true)]
    Manpages(manpages::Args),
}

/// Runs `command`; the number is the exit code (see the crate's documentation). `whole` gives the
/// whole command line's definition, for the commands that describe it (completions, man pages).
pub(crate) fn run(command: Command, whole: fn() -> clap::Command) -> Result<i32, Error> {
    match command {
        Command::Completions(args) => completions::run(&args, whole()).map(|()| 0),
        Command::Manpages(args) => manpages::run(&args, whole()).map(|_| 0),
        Command::Get(args) => single::get(args).map(|()| 0),
        Command::Set(args) => single::set(args).map(|()| 0),
        Command::Readiness(args) => readiness::run(args),
        Command::Plan(args) => bulk::plan(args),
        Command::Apply(args) => bulk::apply(args),
        Command::Rollback(args) => bulk::rollback(args),
        Command::Report(args) => bulk::report(args),
        Command::Explain(args) => explain::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Login(args) => login::login(args),
        Command::Logout(args) => login::logout(args),
        Command::Profiles(args) => profiles::run(&args),
        #[cfg(feature = "emulator")]
        Command::Demo(args) => demo::run(args),
        #[cfg(feature = "emulator")]
        Command::Emulator(args) => emulator::run(args).map(|()| 0),
        #[cfg(not(feature = "emulator"))]
        Command::Demo(_) => Err(without_emulator::unavailable("demo")),
        #[cfg(not(feature = "emulator"))]
        Command::Emulator(_) => Err(without_emulator::unavailable("emulator")),
    }
}
