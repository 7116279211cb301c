//! Refusals whose remedy is one of the operator's own settings, kept typed so that each front end
//! words the setting as its operator spells it: the CLI's `--resume`, Python's `resume=True`.
//!
//! What the engine writes into plans and journals names no setting at all: those files outlive
//! the front end that made them (a plan made from Python may be applied by the CLI).

use std::fmt;
use std::path::PathBuf;

/// Who the operator is talking to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrontEnd {
    /// The `signin-prefs` binary: settings are flags.
    Cli,
    /// The Python package: settings are keyword arguments.
    Python,
}

/// A setting a refusal tells the operator to use or change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Setting {
    /// Continue the run a journal records.
    Resume,
    /// The cap on a plan's changes.
    MaxChanges,
    /// Going without the tenant's authentication methods policy.
    IgnorePolicy,
}

/// The command a refusal to read the policy tells the operator to run without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyCommand {
    /// `plan`: every registered method then counts as allowed.
    Plan,
    /// `readiness`: the counts the policy decides are then left out.
    Readiness,
}

impl FrontEnd {
    /// `setting` as this front end's operator writes it.
    pub fn spell(self, setting: Setting) -> &'static str {
        match (self, setting) {
            (FrontEnd::Cli, Setting::Resume) => "--resume",
            (FrontEnd::Cli, Setting::MaxChanges) => "--max-changes",
            (FrontEnd::Python, Setting::Resume) => "resume=True",
            (FrontEnd::Python, Setting::MaxChanges) => "max_changes=",
            (FrontEnd::Cli, Setting::IgnorePolicy) => "--ignore-policy",
            (FrontEnd::Python, Setting::IgnorePolicy) => "ignore_policy=True",
        }
    }
}

/// A guard rail that stopped an operation before anything was sent, and whose remedy is a
/// setting ([`crate::Error::Refused`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// A new run's journal is already there: resume it, or choose another path.
    JournalExists {
        /// The journal.
        path: PathBuf,
    },
    /// The plan would change more users than the cap allows.
    TooManyChanges {
        /// Users the plan would change.
        changes: usize,
        /// The cap.
        max: usize,
    },
    /// The token may not read the tenant's authentication methods policy.
    PolicyUnreadable {
        /// The command that needed it.
        command: PolicyCommand,
        /// The service's refusal.
        cause: String,
    },
    /// A method configuration of the policy has include targets this tool cannot read.
    PolicyTargetsUnreadable {
        /// The command that needed them.
        command: PolicyCommand,
        /// The configuration's id.
        configuration: String,
        /// What is wrong with them.
        cause: String,
    },
}

/// What to do instead of reading the policy, for `command`, as `front_end` spells it.
fn without_the_policy(command: PolicyCommand, front_end: FrontEnd) -> String {
    let ignore = front_end.spell(Setting::IgnorePolicy);
    match command {
        PolicyCommand::Plan => {
            format!("plan with {ignore} to treat every registered method as allowed")
        }
        PolicyCommand::Readiness => format!("run readiness with {ignore} to count without it"),
    }
}

impl Refusal {
    /// The refusal, its remedy named as `front_end` spells it.
    pub fn worded(&self, front_end: FrontEnd) -> String {
        match self {
            Refusal::JournalExists { path } => format!(
                "{} already exists; resume it with {}, or choose another journal path",
                path.display(),
                front_end.spell(Setting::Resume)
            ),
            Refusal::TooManyChanges { changes, max } => {
                let cap = front_end.spell(Setting::MaxChanges);
                // A flag is followed by its value; a keyword argument written `name=` by it.
                let separator = if cap.ends_with('=') { "" } else { " " };
                format!(
                    "the plan would change {changes} users, more than {cap}{separator}{max}; narrow the targets or raise the cap"
                )
            }
            Refusal::PolicyUnreadable { command, cause } => format!(
                "cannot read the tenant's authentication methods policy: the token lacks Policy.Read.All \
                 (or Policy.Read.AuthenticationMethod); grant it, or {} ({cause})",
                without_the_policy(*command, front_end)
            ),
            Refusal::PolicyTargetsUnreadable {
                command,
                configuration,
                cause,
            } => format!(
                "the authentication methods policy's {configuration} configuration has includeTargets this tool cannot read ({cause}); {}",
                without_the_policy(*command, front_end)
            ),
        }
    }
}

/// The CLI's wording, which the error's `Display` has always given.
impl fmt::Display for Refusal {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.worded(FrontEnd::Cli))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY_SETTING: [Setting; 3] =
        [Setting::Resume, Setting::MaxChanges, Setting::IgnorePolicy];

    #[test]
    fn each_front_end_names_only_its_own_spelling_of_the_setting() {
        let refusals = [
            (
                Refusal::JournalExists {
                    path: "run.journal".into(),
                },
                Setting::Resume,
            ),
            (
                Refusal::TooManyChanges { changes: 9, max: 3 },
                Setting::MaxChanges,
            ),
            (
                Refusal::PolicyUnreadable {
                    command: PolicyCommand::Plan,
                    cause: "403".into(),
                },
                Setting::IgnorePolicy,
            ),
            (
                Refusal::PolicyTargetsUnreadable {
                    command: PolicyCommand::Readiness,
                    configuration: "sms".into(),
                    cause: "not a list".into(),
                },
                Setting::IgnorePolicy,
            ),
        ];
        for (refusal, setting) in refusals {
            for (front_end, other) in [
                (FrontEnd::Cli, FrontEnd::Python),
                (FrontEnd::Python, FrontEnd::Cli),
            ] {
                let text = refusal.worded(front_end);
                assert!(text.contains(front_end.spell(setting)), "{text}");
                for any in EVERY_SETTING {
                    assert!(!text.contains(other.spell(any)), "{text}");
                }
            }
        }
    }
}
