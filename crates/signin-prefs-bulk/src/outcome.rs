//! What became of a user in a run: the report's outcomes, one enum that every form of the report
//! (table, JSON, CSV, HTML) names them by.

/// A user's outcome in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// The PATCH landed.
    Applied,
    /// A rollback's PATCH landed: the values before the apply are back.
    Restored,
    /// After an interruption, the user already held the target: the earlier PATCH had landed.
    Recovered,
    /// Changed, but the read-back asked for could not be made.
    Unverified,
    /// Graph refused, or the request failed after retries.
    Failed,
    /// Not sent: a rollback found the user changed since, or the change cannot be sent.
    Skipped,
    /// Not sent: someone changed the user after planning (`--allow-drift` writes it).
    Drifted,
    /// Not reached: the run was interrupted or ran out of time; a resume continues.
    NotRun,
    /// Already held the target when planned.
    Compliant,
    /// No target method registered (or allowed by the policy) for the user.
    Ineligible,
    /// On the exclusion list.
    Excluded,
    /// The user's method is not one `--from` names.
    NotFrom,
    /// The account is disabled.
    Disabled,
    /// The user's state could not be read when planning.
    Error,
}

impl Outcome {
    /// Every outcome, in the order reports list them.
    pub const ALL: [Outcome; 14] = [
        Outcome::Applied,
        Outcome::Restored,
        Outcome::Recovered,
        Outcome::Unverified,
        Outcome::Failed,
        Outcome::Skipped,
        Outcome::Drifted,
        Outcome::NotRun,
        Outcome::Compliant,
        Outcome::Ineligible,
        Outcome::Excluded,
        Outcome::NotFrom,
        Outcome::Disabled,
        Outcome::Error,
    ];

    /// The outcome's name in every form of the report.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Restored => "restored",
            Outcome::Recovered => "recovered",
            Outcome::Unverified => "unverified",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::Drifted => "drifted",
            Outcome::NotRun => "notRun",
            Outcome::Compliant => "compliant",
            Outcome::Ineligible => "ineligible",
            Outcome::Excluded => "excluded",
            Outcome::NotFrom => "notFrom",
            Outcome::Disabled => "disabled",
            Outcome::Error => "error",
        }
    }

    /// What the outcome means, in a few words, for a report's legend.
    pub fn meaning(self) -> &'static str {
        match self {
            Outcome::Applied => "changed as planned",
            Outcome::Restored => "the values before the apply restored",
            Outcome::Recovered => "already held the target after an interruption",
            Outcome::Unverified => "changed; the read-back could not be made",
            Outcome::Failed => "Graph refused, or the request failed after retries",
            Outcome::Skipped => "not sent: changed since, or not expressible",
            Outcome::Drifted => "not sent: changed by someone else after planning",
            Outcome::NotRun => "not reached: resume the run",
            Outcome::Compliant => "already held the target",
            Outcome::Ineligible => "no target method registered or allowed",
            Outcome::Excluded => "on the exclusion list",
            Outcome::NotFrom => "its method is not one --from names",
            Outcome::Disabled => "account disabled",
            Outcome::Error => "its state could not be read when planning",
        }
    }

    /// The outcome named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|outcome| outcome.name() == name)
    }

    /// Whether the run changed the user (its PATCH landed, verified or not).
    pub fn changed(self) -> bool {
        matches!(
            self,
            Outcome::Applied | Outcome::Restored | Outcome::Recovered | Outcome::Unverified
        )
    }

    /// Whether the user needs a look: the run did not do what it planned, or could not confirm it.
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            Outcome::Failed
                | Outcome::NotRun
                | Outcome::Skipped
                | Outcome::Drifted
                | Outcome::Error
                | Outcome::Ineligible
                | Outcome::Unverified
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_is_listed_once_and_found_by_its_name() {
        // `name` is an exhaustive match; `ALL` lists each outcome once, and its name finds it.
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::from_name(outcome.name()), Some(outcome));
        }
        let mut names: Vec<&str> = Outcome::ALL.iter().map(|outcome| outcome.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Outcome::ALL.len());
    }
}
