//! Progress on standard error for every step that can take more than a second: a bar on a
//! terminal; elsewhere (a log file, CI) plain lines, at each stage, every ten seconds and at the
//! end of a count; nothing with `-q`.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a count is written as a plain line off a terminal.
const LINE_EVERY: Duration = Duration::from_secs(10);

/// One command's progress display.
pub(crate) struct Display {
    bar: ProgressBar,
    plain: bool,
    last_line: Option<Instant>,
}

impl Display {
    /// A display for counting users, drawn as the terminal and `-q` allow.
    pub(crate) fn new() -> Self {
        let quiet = crate::terminal::quiet();
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} users  {per_sec}  eta {eta}  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self {
            bar,
            plain: !quiet && !std::io::IsTerminal::is_terminal(&std::io::stderr()),
            last_line: None,
        }
    }

    /// The bar, for printing around it (`suspend`) and for clearing it on a signal.
    pub(crate) fn bar(&self) -> &ProgressBar {
        &self.bar
    }

    /// A new stage: the bar's message, and a line of its own off a terminal.
    pub(crate) fn stage(&self, what: &str) {
        self.bar.set_message(what.to_owned());
        if self.plain {
            eprintln!("{what}");
        }
    }

    /// A remark on the stage in progress, shown beside the bar only.
    pub(crate) fn note(&self, text: String) {
        self.bar.set_message(text);
    }

    /// `done` users of `total` (when known) have been `verb`: the bar's position; off a terminal a
    /// line at the first count, every ten seconds and at the last.
    pub(crate) fn count(&mut self, verb: &str, done: usize, total: Option<usize>) {
        if let Some(total) = total {
            self.bar.set_length(total as u64);
        }
        self.bar.set_position(done as u64);
        let last = total == Some(done);
        if self.plain && (last || self.last_line.is_none_or(|at| at.elapsed() >= LINE_EVERY)) {
            match total {
                Some(total) => eprintln!("{verb} {done}/{total} users"),
                None => eprintln!("{verb} {done} users"),
            }
            self.last_line = Some(Instant::now());
        }
    }

    /// Starts the count again (a new stage's rate and estimate).
    pub(crate) fn restart(&mut self) {
        self.bar.reset_elapsed();
        self.bar.reset_eta();
        self.last_line = None;
    }

    /// Clears the bar: nothing is left on the terminal, whatever the outcome.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
