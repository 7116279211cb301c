//! Collections arrive in pages: items, and a link to the next page while there is one.

/// One page of a Graph collection (`value` and `@odata.nextLink`).
pub trait CollectionPage {
    /// The collection's item type.
    type Item;

    /// The absolute URL of the next page; `None` on the last page.
    fn next_link(&self) -> Option<&str>;

    /// The page's items.
    fn into_items(self) -> Vec<Self::Item>;
}
