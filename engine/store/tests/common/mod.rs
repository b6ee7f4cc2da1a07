//! Shared behaviour suite of every `StreamStore`: generic over a [`Harness`] that opens and
//! restarts a store, so MemStore and FileStore run the same assertions. A store's test file
//! declares `mod common;` and calls [`store_suite!`] with an expression building its harness.
#![allow(dead_code)]

pub mod file_harness;
pub mod model;
pub mod suite;

use natrium_store::{StoreConfig, StreamStore};

/// Opens stores of one kind and restarts them.
pub trait Harness {
    /// A fresh, empty store with `config`.
    fn open(&mut self, config: StoreConfig) -> Box<dyn StreamStore>;
    /// Simulates a restart: closes `store` and opens it again from whatever it persisted
    /// (a memory store returns itself).
    fn restart(&mut self, store: Box<dyn StreamStore>) -> Box<dyn StreamStore>;
    /// Simulates a crash and a reopen. The model expects nothing to be lost, so a durable
    /// store overrides this only when it syncs every operation; the default is a clean
    /// [`Harness::restart`].
    fn crash_restart(&mut self, store: Box<dyn StreamStore>) -> Box<dyn StreamStore> {
        self.restart(store)
    }
}

/// Declares one `#[test]` per suite behaviour, each with a fresh harness from `$make`.
#[macro_export]
macro_rules! store_suite {
    ($make:expr) => {
        $crate::store_suite!(@tests $make;
            store_assigns_sequences_and_counts_bytes,
            load_distinguishes_missing_from_past_the_end,
            load_next_last_and_prev_follow_filters,
            remove_and_erase_leave_gaps,
            purge_empties_and_sequences_continue,
            purge_ex_honours_filter_keep_and_sequence,
            compact_drops_below_and_can_jump_ahead,
            truncate_drops_above_and_resets_last,
            skips_and_raw_stores_consume_sequences,
            max_msgs_discards_old_or_refuses_new,
            max_bytes_discards_old_or_refuses_new,
            per_subject_limit_replaces_or_refuses,
            oversized_and_invalid_messages_are_refused,
            max_age_expires_from_the_front,
            message_ttl_expires_individually,
            filtered_and_subject_state_agree_with_contents,
            num_pending_counts_matches_from_a_sequence,
            several_filters_load_and_count_their_union,
            seq_from_time_finds_the_first_at_or_after,
            update_config_enforces_new_limits,
            lowered_limits_under_discard_new_keep_messages_and_refuse,
            restart_preserves_messages_and_state,
            closed_store_refuses_writes,
            consumer_store_refuses_bad_names_and_tracks_acks,
        );
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $crate::store_suite!(@each $make; $($name),*);
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let mut harness = $make;
                $crate::common::suite::$name(&mut harness);
            }
        )*
    };
}

/// The edges of the sequence space (`u64::MAX`, gaps of 2^40): one `#[test]` each. Separate
/// from [`store_suite!`] so a store joins once it passes them.
#[macro_export]
macro_rules! store_suite_edges {
    ($make:expr) => {
        $crate::store_suite!(@each $make;
            end_of_sequence_space_is_an_error,
            huge_gaps_are_counted_and_listed_within_bounds,
        );
    };
}
