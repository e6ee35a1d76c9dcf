//! A list that clones share, newest first: each item points at the one before, so a clone (a
//! timeline's snapshot of the world) costs one pointer however long the list is, and a push
//! copies nothing. The client keeps its finished transfers this way and the file tree its
//! uploads, so that a session's memory grows with its length, not with its square (issue 11).
//!
//! What it leaves out: removing items, except from the part of the list no clone shares.

use std::sync::Arc;

pub(crate) struct SharedList<T> {
    newest: Option<Arc<Entry<T>>>,
    len: usize,
}

struct Entry<T> {
    item: T,
    earlier: Option<Arc<Entry<T>>>,
}

impl<T> SharedList<T> {
    pub(crate) fn push(&mut self, item: T) {
        let earlier = self.newest.take();
        self.newest = Some(Arc::new(Entry { item, earlier }));
        self.len += 1;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.newest.is_none()
    }

    /// Newest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        std::iter::successors(self.newest.as_deref(), |entry| entry.earlier.as_deref()).map(|entry| &entry.item)
    }

    /// The very same entries (a clone not pushed to since), without comparing items.
    pub(crate) fn same_as(&self, other: &Self) -> bool {
        match (&self.newest, &other.newest) {
            (Some(mine), Some(theirs)) => Arc::ptr_eq(mine, theirs),
            (None, None) => true,
            _ => false,
        }
    }

    /// Unlinks the newest item that `matches` from the part of the list no clone shares, and
    /// says whether there was one. Entries a clone shares stay: it still shows them.
    pub(crate) fn remove_unshared(&mut self, matches: impl Fn(&T) -> bool) -> bool {
        let mut cursor = &mut self.newest;
        loop {
            // Asked, then borrowed again to act: the borrow checker refuses to replace `*cursor`
            // on the way while a borrow taken from it could still be handed on.
            let found = match cursor.as_mut().and_then(Arc::get_mut) {
                Some(entry) => matches(&entry.item),
                None => return false,
            };
            if found {
                let earlier = cursor.as_mut().and_then(Arc::get_mut).and_then(|entry| entry.earlier.take());
                *cursor = earlier;
                self.len -= 1;
                return true;
            }
            let Some(entry) = cursor.as_mut().and_then(Arc::get_mut) else { return false };
            cursor = &mut entry.earlier;
        }
    }
}

impl<T> Default for SharedList<T> {
    fn default() -> Self {
        SharedList { newest: None, len: 0 }
    }
}

impl<T> Clone for SharedList<T> {
    fn clone(&self) -> Self {
        SharedList { newest: self.newest.clone(), len: self.len }
    }
}

impl<T: PartialEq> PartialEq for SharedList<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for SharedList<T> {}

/// The items newest first, as a list: a derived `Debug` would recurse once per item.
impl<T: std::fmt::Debug> std::fmt::Debug for SharedList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> Drop for SharedList<T> {
    /// Drops the list one entry at a time: the default drop would recurse once per item and
    /// could run out of stack in a long session.
    fn drop(&mut self) {
        let mut next = self.newest.take();
        while let Some(entry) = next {
            // `None` when another clone still shares the entry, which keeps the rest alive.
            // (`into_inner`, not `try_unwrap`: of two threads dropping the last two clones at
            // once, one is sure to get the entry.)
            next = Arc::into_inner(entry).and_then(|mut entry| entry.earlier.take());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_entries_and_only_unshared_ones_are_removed() {
        let mut list = SharedList::default();
        for item in [1, 2, 3] {
            list.push(item);
        }
        let snapshot = list.clone();
        assert!(list.same_as(&snapshot));
        list.push(4);
        list.push(2);
        assert!(!list.same_as(&snapshot));
        assert_eq!(list.iter().copied().collect::<Vec<_>>(), [2, 4, 3, 2, 1]);
        assert!(list.remove_unshared(|item| *item == 4), "pushed after the snapshot: unshared");
        assert!(!list.remove_unshared(|item| *item == 3), "the snapshot shares it");
        assert_eq!(list.iter().copied().collect::<Vec<_>>(), [2, 3, 2, 1]);
        assert_eq!(list.len(), 4);
        assert_eq!(snapshot.iter().copied().collect::<Vec<_>>(), [3, 2, 1], "the snapshot is untouched");
    }

    #[test]
    fn a_long_list_drops_and_prints_without_deep_recursion() {
        let mut list = SharedList::default();
        for item in 0..200_000u32 {
            list.push(item);
        }
        assert!(format!("{list:?}").starts_with("[199999, 199998"));
        drop(list);
    }
}
