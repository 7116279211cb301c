//! Bulk changes of users' sign-in preferences: read targets, plan, apply with a journal, resume after
//! any interruption, roll back, and report. The engine behind the `signin-prefs` CLI and the Python
//! package's bulk functions.
//!
//! The flow: [`targets::read_targets`] checks the operator's file (nothing is sent when it is
//! wrong); [`plan::make_plan`] reads every user's state in `$batch`es and decides, per user, what to
//! do and why; the plan is written to a file for review; [`apply::apply`] executes exactly that plan,
//! journaling every batch ([`journal`]), and can be resumed after a kill; [`apply::rollback`]
//! restores what a journal changed; [`report::Report`] accounts for every user.

pub mod apply;
mod decide;
pub mod disabled;
mod error;
pub mod files;
pub mod front_end;
pub mod html;
mod identities;
pub mod journal;
mod journal_users;
mod key_digest;
mod layout;
pub mod outcome;
pub mod pace;
pub mod plan;
mod plan_file;
mod plan_targets;
mod plan_writer;
pub mod policy;
mod prepare;
mod queue;
mod read_back;
pub mod read_path;
pub mod readiness;
pub mod readiness_csv;
pub mod registration_report;
pub mod report;
pub mod report_stream;
mod run_options;
pub mod state;
pub mod stop;
pub mod system_preferred;
pub mod targets;
mod work;

pub use error::Error;
