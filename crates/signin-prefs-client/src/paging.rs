//! Paged collections: a stream of pages that follows `@odata.nextLink`, a helper that collects
//! every item, and the number of items a directory list holds (its `$count` segment).

use futures_util::stream::{self, Stream, StreamExt as _};
use serde::de::DeserializeOwned;
use signin_prefs_core::CollectionPage;
use signin_prefs_request::{NextPage, Operation};

use crate::{Client, Error, ErrorKind};

/// The header that makes a directory query an advanced one, which `$count` needs.
const CONSISTENCY_LEVEL: &str = "ConsistencyLevel";

impl Client {
    /// The pages of a collection, starting with `first` and following each `@odata.nextLink`.
    ///
    /// A next link pointing anywhere but this client's Graph origin ends the stream with an error:
    /// the token is never sent to a host the client was not configured for.
    pub fn pages<O>(&self, first: O) -> impl Stream<Item = Result<O::Output, Error>> + '_
    where
        O: Operation + 'static,
        O::Output: CollectionPage + DeserializeOwned,
    {
        enum Next<O> {
            First(O),
            Link(String),
            Done,
        }
        stream::unfold(Next::First(first), move |next| async move {
            let page = match next {
                Next::Done => return None,
                Next::First(operation) => self.send(&operation).await,
                Next::Link(link) => self.follow_next_link(&link).await,
            };
            match page {
                Ok(page) => {
                    let next = page
                        .next_link()
                        .map_or(Next::Done, |link| Next::Link(link.to_owned()));
                    Some((Ok(page), next))
                }
                Err(error) => Some((Err(error), Next::Done)),
            }
        })
    }

    /// Every item of a paged collection.
    pub async fn all_items<O>(
        &self,
        first: O,
    ) -> Result<Vec<<O::Output as CollectionPage>::Item>, Error>
    where
        O: Operation + 'static,
        O::Output: CollectionPage + DeserializeOwned,
    {
        let mut items = Vec::new();
        self.for_each_item(first, |item| items.push(item)).await?;
        Ok(items)
    }

    /// Hands every item of a paged collection to `each`, one page at a time: memory holds one
    /// page, however large the collection (a million-user group, a tenant's registration report).
    pub async fn for_each_item<O>(
        &self,
        first: O,
        mut each: impl FnMut(<O::Output as CollectionPage>::Item),
    ) -> Result<(), Error>
    where
        O: Operation + 'static,
        O::Output: CollectionPage + DeserializeOwned,
    {
        let mut pages = std::pin::pin!(self.pages(first));
        while let Some(page) = pages.next().await {
            page?.into_items().into_iter().for_each(&mut each);
        }
        Ok(())
    }

    /// How many items the directory list `list` holds (its `$filter` and `$search` kept; paging
    /// and projection dropped), from the list's `$count` segment in one request, such as
    /// `GET /users/$count` or `GET /groups/{id}/transitiveMembers/microsoft.graph.user/$count`.
    ///
    /// On directory objects `$count` is an advanced query: it is sent with `ConsistencyLevel:
    /// eventual`, without which Graph answers 400 "$count is not currently supported."
    /// (microsoftgraph/microsoft-graph-docs-contrib, `concepts/aad-advanced-queries.md`). The
    /// count is eventually consistent, so it can trail recent changes. The answer is a plain-text
    /// integer. It costs one read, like any directory request.
    pub async fn count_items<O: Operation>(&self, list: &O) -> Result<u64, Error> {
        let mut request = list.to_request()?;
        request.path = format!("{}/$count", request.path.trim_end_matches('/'));
        request.query.retain(|(name, _)| {
            name.eq_ignore_ascii_case("$filter") || name.eq_ignore_ascii_case("$search")
        });
        request.headers.remove(CONSISTENCY_LEVEL);
        request.push_header(CONSISTENCY_LEVEL, "eventual")?;
        request.headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("text/plain"),
        );
        let response = self.execute(&request, "count").await?;
        let text = String::from_utf8_lossy(&response.body);
        // Tolerant of a byte-order mark and whitespace around the number: only the digits matter.
        text.trim_start_matches('\u{feff}')
            .trim()
            .parse::<u64>()
            .map_err(|_| {
                Error::new(
                    ErrorKind::Decode,
                    format!(
                        "the $count of {} is not a whole number: {:?}",
                        O::OPERATION_ID,
                        text.chars().take(40).collect::<String>()
                    ),
                )
            })
    }

    /// The page an `@odata.nextLink` points to, if it points to this client's Graph origin.
    pub async fn follow_next_link<P: DeserializeOwned>(&self, link: &str) -> Result<P, Error> {
        let next = NextPage::<P>::new(link).map_err(Error::from)?;
        let origin = self.endpoints().graph_origin.trim_end_matches('/');
        if !next.origin().eq_ignore_ascii_case(origin) {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "refusing to follow a next link to {} (the client talks to {origin})",
                    next.origin()
                ),
            ));
        }
        self.send(&next).await
    }
}
