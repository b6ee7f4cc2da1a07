//! Parsing and delivery allocate nothing per message: measured with a counting global
//! allocator over thousands of frames. Built without the test harness (`harness = false`):
//! the harness's own threads would allocate while the counters run.

use std::sync::Arc;

use bytes::Bytes;
use natrium_nats::outbound::Outbound;
use natrium_nats::{Parsed, ParserLimits, parser};
use natrium_router::{Broker, ClientId, LastMatch, Message, PublishBatch, Sink, Subscription};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

const FRAMES: usize = 10_000;

/// The one test this binary holds, under the name test runners list and select.
const TEST_NAME: &str = "parse_and_deliver_without_per_message_allocation";

/// A custom harness (the counting allocator must be the only allocator in the process) that
/// still speaks the libtest protocol cargo-nextest uses: `--list --format terse` lists the
/// test (nothing with `--ignored`), and a filter that is not our name runs nothing.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--list") {
        if !args.iter().any(|arg| arg == "--ignored") {
            println!("{TEST_NAME}: test");
        }
        return;
    }
    let filter = args.iter().find(|arg| !arg.starts_with('-'));
    if filter.is_some_and(|filter| !TEST_NAME.contains(filter.as_str())) {
        return;
    }
    parse_and_deliver_without_per_message_allocation();
    println!("{TEST_NAME}: parse and deliver allocate nothing per message: ok");
}

fn parse_and_deliver_without_per_message_allocation() {
    // Parsing: PUB, HPUB, SUB and UNSUB frames from one buffer.
    let frame: &[u8] = b"PUB orders.eu r.1 5\r\nhello\r\nHPUB orders.eu 12 14\r\nNATS/1.0\r\n\r\nab\r\nSUB a.* q 1\r\nUNSUB 1 5\r\nPING\r\n";
    let stream = frame.repeat(FRAMES / 4);
    let limits = ParserLimits::default();
    let region = Region::new(GLOBAL);
    let mut offset = 0;
    let mut frames = 0;
    while let Ok(Parsed::Frame { frame, consumed }) = parser::parse(&stream[offset..], &limits) {
        std::hint::black_box(frame);
        offset += consumed;
        frames += 1;
    }
    let parsing = region.change();
    assert_eq!(frames, FRAMES / 4 * 5);
    assert_eq!(
        (parsing.allocations, parsing.reallocations),
        (0, 0),
        "{parsing:?}"
    );

    // Delivery: the broker routes through the per-connection cache into an outbound sink.
    let broker = Broker::new();
    let outbound = Outbound::new(1 << 30, Arc::downgrade(&broker), None);
    let sink: Arc<dyn Sink> = outbound.clone();
    let subscription = Subscription::new(
        ClientId(1),
        Bytes::from_static(b"7"),
        Bytes::from_static(b"orders.*"),
        None,
        sink,
    )
    .unwrap();
    broker.subscribe(Arc::new(subscription)).unwrap();
    let mut last_match = LastMatch::new();
    let message = Message {
        payload_shared: None,
        subject: b"orders.eu",
        reply: b"r.1",
        headers: None,
        payload: b"hello",
    };
    // A connection's batch: deferred flushes listed per read, finished at its end.
    let mut batch = PublishBatch::new();
    // The first publish fills the match cache (and the batch's list its capacity).
    broker.publish_with(&mut last_match, &mut batch, ClientId(2), true, &message);
    batch.finish();
    let region = Region::new(GLOBAL);
    for frame in 0..FRAMES {
        let outcome = broker.publish_with(&mut last_match, &mut batch, ClientId(2), true, &message);
        assert_eq!(outcome.delivered, 1);
        // One read batch every 64 frames.
        if frame % 64 == 63 {
            batch.finish();
        }
    }
    batch.finish();
    let delivery = region.change();
    assert_eq!(delivery.allocations, 0, "{delivery:?}");
    // The outbound buffer grows geometrically while nobody drains it: a few reallocations in
    // all, not one per message.
    assert!(delivery.reallocations < 32, "{delivery:?}");
    let (pending, _, _) = outbound.counters();
    let line = "MSG orders.eu 7 r.1 5\r\nhello\r\n";
    assert_eq!(pending as usize, (FRAMES + 1) * line.len());
}
