//! The order bulk work is taken in: users put back by throttling first, then those not yet sent.

use std::collections::VecDeque;

/// The next chunk of at most `size` items: those `requeued` first (a throttled user waits no
/// longer than it has to), then from `fresh`. Empty when both are exhausted.
pub(crate) fn next_chunk<T>(
    requeued: &mut VecDeque<T>,
    fresh: &mut impl Iterator<Item = T>,
    size: usize,
) -> Vec<T> {
    requeued
        .drain(..requeued.len().min(size))
        .chain(fresh.by_ref())
        .take(size)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requeued_items_go_first_and_chunks_keep_their_size() {
        let mut requeued: VecDeque<u32> = [10, 11, 12].into();
        let mut fresh = 0..5;
        assert_eq!(next_chunk(&mut requeued, &mut fresh, 2), [10, 11]);
        assert_eq!(next_chunk(&mut requeued, &mut fresh, 2), [12, 0]);
        assert_eq!(next_chunk(&mut requeued, &mut fresh, 2), [1, 2]);
        assert_eq!(next_chunk(&mut requeued, &mut fresh, 4), [3, 4]);
        assert!(next_chunk(&mut requeued, &mut fresh, 4).is_empty());
    }
}
