//! What both backends do alike for a page of an archive query: how a [`PageStart`]
//! becomes SQL (a bound on `id`, the order, an offset) and how the page is settled.

use meerkat_core::store::{ArchivedMessage, PageStart};

/// The SQL shape of a page start.
pub(crate) struct PagePlan {
    /// `(" AND id > ", after)` or `(" AND id < ", before)`.
    pub bound: Option<(&'static str, i64)>,
    /// Newest first in SQL (reversed afterwards): paging backwards.
    pub descending: bool,
    /// Rows skipped (`<index/>`).
    pub offset: Option<i64>,
}

impl PagePlan {
    pub(crate) fn of(start: PageStart) -> PagePlan {
        match start {
            PageStart::Offset(k) => PagePlan {
                bound: None,
                descending: false,
                offset: Some(i64::try_from(k).unwrap_or(i64::MAX)),
            },
            PageStart::After(a) => PagePlan {
                bound: Some((" AND id > ", a)),
                descending: false,
                offset: None,
            },
            PageStart::Before(b) => PagePlan {
                bound: b.map(|b| (" AND id < ", b)),
                descending: true,
                offset: None,
            },
        }
    }

    /// The `ORDER BY ... LIMIT ` clause, to be followed by the bound limit.
    pub(crate) fn order_limit(&self) -> &'static str {
        if self.descending {
            " ORDER BY id DESC LIMIT "
        } else {
            " ORDER BY id ASC LIMIT "
        }
    }

    /// Puts the rows oldest first.
    pub(crate) fn settle(&self, messages: &mut [ArchivedMessage]) {
        if self.descending {
            messages.reverse();
        }
    }
}

/// The first index of a page when the page itself says it; `None` when it takes counting
/// the matching messages older than the first one.
pub(crate) fn known_first_index(
    start: PageStart,
    first: Option<&ArchivedMessage>,
    total: u64,
) -> Option<u64> {
    match (start, first) {
        (PageStart::Offset(k), _) => Some(k.min(total)),
        (_, Some(_)) => None,
        (PageStart::After(_), None) => Some(total),
        (PageStart::Before(_), None) => Some(0),
    }
}
