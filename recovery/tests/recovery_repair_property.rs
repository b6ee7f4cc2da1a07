//! Property: random bit flips anywhere in the blocks of a generated stream directory, then a
//! salvage repair into a new directory. The result verifies under Strict, keeps every record
//! whose bytes were not touched, and the quarantined bytes add up to what was dropped.
//! Cases: NATRIUM_PROPTEST_CASES (default 16; each case writes a small directory).

use std::collections::BTreeSet;

use natrium_format::names;
use natrium_recovery::testkit::{StreamSpec, write_stream};
use natrium_recovery::{RealStorage, RecoveryMode, RepairTarget, recover_dir, repair};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("NATRIUM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
}

/// `(block, start, end, seq, tombstone)` of every record in the directory.
fn records(dir: &std::path::Path) -> Vec<(u32, u64, u64, u64, bool)> {
    let mut out = Vec::new();
    natrium_recovery::dir::recover_dir_visit(
        dir,
        RecoveryMode::Strict,
        &natrium_format::Limits::default(),
        |block, view| {
            let end = view.offset + view.bytes.len() as u64;
            out.push((block, view.offset, end, view.seq, view.is_tombstone()));
        },
    )
    .unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn salvage_repair_keeps_every_untouched_record(
        count in 1u64..40,
        per_block in 1usize..12,
        flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<proptest::sample::Index>(), 0u8..8), 1..5),
    ) {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("s");
        let mut spec = StreamSpec::sample("P", count, per_block);
        spec.deletes = vec![count];
        write_stream(&dir, &spec).unwrap();
        let before = records(&dir);
        let blocks: Vec<u32> = before.iter().map(|r| r.0).collect::<BTreeSet<_>>().into_iter().collect();
        let mut damaged: BTreeSet<(u32, u64)> = BTreeSet::new();
        for (block, at, bit) in &flips {
            let index = blocks[block.index(blocks.len())];
            let path = names::block_path(&dir, index);
            let mut bytes = std::fs::read(&path).unwrap();
            let at = at.index(bytes.len());
            if damaged.insert((index, at as u64)) {
                bytes[at] ^= 1 << bit;
                std::fs::write(&path, bytes).unwrap();
            }
        }
        let into = temp.path().join("repaired");
        let report = repair(&RealStorage, &dir, &RepairTarget::Into(into.clone()), RecoveryMode::Salvage).unwrap();
        let after = recover_dir(&into, RecoveryMode::Strict).unwrap();
        prop_assert!(after.is_clean(), "{:?}", after.disagreements);
        let kept: BTreeSet<(u64, bool)> = records(&into).iter().map(|r| (r.3, r.4)).collect();
        let mut untouched = 0u64;
        for (block, start, end, seq, tombstone) in &before {
            let hit = damaged.iter().any(|(b, at)| b == block && (start..end).contains(&at));
            if !hit {
                untouched += 1;
                // A deleted message whose tombstone was damaged is moved aside whole (never
                // resurrected, never dropped); every other untouched record is kept.
                let set_aside = !*tombstone
                    && report.quarantined.iter().any(|q| {
                        q.block == *block && q.start == *start && q.seq_before == Some(*seq)
                    });
                prop_assert!(
                    kept.contains(&(*seq, *tombstone)) || set_aside,
                    "lost untouched record {seq}"
                );
            }
        }
        let set_aside = report.quarantined.iter().filter(|q| q.seq_before.is_some() && q.seq_before == q.seq_after).count() as u64;
        prop_assert!(report.kept_records + set_aside >= untouched);
        // Nothing is deleted: kept and quarantined bytes cover every record byte.
        let quarantined: u64 = report.quarantined.iter().map(|q| q.end - q.start).sum();
        let record_bytes: u64 = before.iter().map(|r| r.2 - r.1).sum();
        prop_assert!(report.kept_bytes + quarantined >= record_bytes);
    }
}
