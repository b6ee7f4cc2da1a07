//! The end-of-batch flush: while a NATS connection task handles one read batch, deliveries
//! to other connections do not wake their writer tasks one by one; each outbound that became
//! non-empty is listed once, and at the end of the batch the publisher writes each small
//! buffer to its socket itself (one non-blocking write) or wakes its writer. One signal per
//! subscriber per batch, and no task hand-off at all when the socket takes the bytes, as the
//! Go server's `flushClients` does.
//!
//! Concurrency: the list is thread-local and only filled between [`begin`] and [`end`], which
//! the connection task calls around a synchronous batch (no `.await` in between). Callers of
//! `Sink::deliver` outside such a batch (other front-ends, JetStream) see `defer` refuse and
//! wake the writer themselves.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Weak};

use crate::outbound::Outbound;

/// Subscribers listed per batch; past it, writers are woken directly.
const DEFERRED_MAX: usize = 256;

thread_local! {
    static COLLECTING: Cell<bool> = const { Cell::new(false) };
    static DEFERRED: RefCell<Vec<Arc<Outbound>>> = const { RefCell::new(Vec::new()) };
}

/// Starts collecting on this thread.
pub fn begin() {
    DEFERRED.with(|list| list.borrow_mut().clear());
    COLLECTING.set(true);
}

/// Lists `outbound` for the end-of-batch flush; false when not collecting (or full), and
/// the caller must wake the writer itself.
pub fn defer(outbound: &Weak<Outbound>) -> bool {
    if !COLLECTING.get() {
        return false;
    }
    DEFERRED.with(|list| {
        let mut list = list.borrow_mut();
        if list.len() >= DEFERRED_MAX {
            return false;
        }
        match outbound.upgrade() {
            Some(outbound) => {
                list.push(outbound);
                true
            }
            None => false,
        }
    })
}

/// Stops collecting and flushes every listed outbound.
pub fn end() {
    COLLECTING.set(false);
    // Take the list out so flushing cannot observe the borrow; the vector's capacity is
    // handed back afterwards so steady state allocates nothing.
    let mut listed = DEFERRED.with(|list| std::mem::take(&mut *list.borrow_mut()));
    for outbound in listed.drain(..) {
        outbound.flush_now();
    }
    DEFERRED.with(|list| {
        let mut list = list.borrow_mut();
        if list.capacity() < listed.capacity() {
            *list = listed;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defer_only_while_collecting_and_end_writes_out() {
        let outbound = Outbound::new(1024, Weak::new(), None);
        let me = Arc::downgrade(&outbound);
        assert!(!defer(&me), "outside a batch the caller wakes the writer");
        begin();
        assert!(defer(&me));
        assert_eq!(DEFERRED.with(|list| list.borrow().len()), 1);
        end();
        assert_eq!(DEFERRED.with(|list| list.borrow().len()), 0);
        assert!(!defer(&me));
    }
}
