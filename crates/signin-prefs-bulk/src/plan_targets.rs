//! The users a plan decides, a window at a time: a list in hand, or a directory listing paged in,
//! whose pages are read while the registration report is, so that neither waits for the other.

use std::pin::Pin;

use futures_util::future::{Either, select};
use futures_util::{Stream, StreamExt as _};

use crate::Error;
use crate::targets::{Target, TargetList};

/// Targets read and decided at a time: what a plan holds in memory besides its targets, and long
/// enough that the read window drains only once every few hundred `$batch`es.
const PLAN_WINDOW: usize = 8_192;

/// The targets of a plan: a list in hand, or user keys as a directory list pages them in.
pub(crate) enum Targets<'a> {
    /// Known in full, so the number of users to read is known from the start.
    Listed(&'a TargetList),
    /// Keys of users listed page by page (no per-user values), numbered from 1.
    Streamed(Streamed<'a>),
}

/// A listing's keys: those read ahead, then the rest as its pages arrive.
pub(crate) struct Streamed<'a> {
    keys: Pin<Box<dyn Stream<Item = Result<String, Error>> + Send + 'a>>,
    /// Keys read while the registration report was (see [`Targets::read_beside`]), compactly.
    ahead: TargetList,
    /// How many of `ahead` are handed out.
    taken_ahead: usize,
    /// What stopped the reading ahead, handed out once `ahead` is.
    failed_ahead: Option<Error>,
}

impl<'a> Targets<'a> {
    /// The users a directory list gives the keys of.
    pub(crate) fn streamed(keys: impl Stream<Item = Result<String, Error>> + Send + 'a) -> Self {
        // A window that ends the list is followed by one more ask, which must find it still ended.
        Targets::Streamed(Streamed {
            keys: Box::pin(keys.fuse()),
            ahead: TargetList::new(),
            taken_ahead: 0,
            failed_ahead: None,
        })
    }

    /// Whether the users arrive page by page (so they are counted as they come).
    pub(crate) fn is_streamed(&self) -> bool {
        matches!(self, Targets::Streamed(_))
    }

    /// The next window of targets, or an empty one at the end; `taken` is how many were handed out.
    pub(crate) async fn next_window(&mut self, taken: usize) -> Result<Vec<Target>, Error> {
        match self {
            Targets::Listed(targets) => Ok((taken..(taken + PLAN_WINDOW).min(targets.len()))
                .filter_map(|index| targets.get(index))
                .collect()),
            Targets::Streamed(streamed) => {
                let mut window = Vec::with_capacity(PLAN_WINDOW);
                while window.len() < PLAN_WINDOW
                    && let Some(target) = streamed.ahead.get(streamed.taken_ahead)
                {
                    streamed.taken_ahead += 1;
                    window.push(target);
                }
                if window.len() < PLAN_WINDOW
                    && let Some(error) = streamed.failed_ahead.take()
                {
                    return Err(error);
                }
                while window.len() < PLAN_WINDOW {
                    let Some(key) = streamed.keys.next().await else {
                        break;
                    };
                    window.push(Target {
                        user: key?,
                        line: taken + window.len() + 1,
                        method: None,
                        system_preferred: None,
                    });
                }
                Ok(window)
            }
        }
    }

    /// Runs `read` (the registration report's read) and, as long as it lasts, reads the listing's
    /// pages ahead: the report's pages wait on Graph's small reports budget while the listing's
    /// are on the resource units, so side by side the listing costs no time, where read after the
    /// report it would be all the time the plan takes beyond the report's. The keys read ahead are
    /// held compactly (about 12 bytes and the key a user).
    pub(crate) async fn read_beside<T>(&mut self, read: impl Future<Output = T>) -> T {
        let Targets::Streamed(streamed) = self else {
            return read.await;
        };
        let read_ahead = async {
            while let Some(key) = streamed.keys.next().await {
                let pushed = key.and_then(|user| {
                    let line = streamed.ahead.len() + 1;
                    streamed.ahead.push(Target {
                        user,
                        line,
                        method: None,
                        system_preferred: None,
                    })
                });
                if let Err(error) = pushed {
                    streamed.failed_ahead = Some(error);
                    break;
                }
            }
        };
        let (read, read_ahead) = (std::pin::pin!(read), std::pin::pin!(read_ahead));
        // Dropping the read ahead mid-page loses nothing: the stream keeps the page under way for
        // the next window's ask.
        match select(read, read_ahead).await {
            Either::Left((value, _)) => value,
            Either::Right(((), read)) => read.await,
        }
    }
}
