//! The writer task of one connection: drains its [`Outbound`] bytes into the socket, one
//! swap per batch, written with vectored writes (copied bytes and spliced shared payloads
//! together, see [`crate::spliced`]) so pending bytes fall (and stalled publishers resume) as
//! the subscriber reads. Each write must make progress within `write_deadline`, else the
//! client is a slow consumer.

use std::sync::Arc;
use std::time::Duration;

use natrium_router::{Broker, ServerStats};
use tokio::io::AsyncWriteExt;

use crate::ClosedReason;
use crate::outbound::{Closing, Outbound};
use crate::spliced::Spliced;

/// Capacity a drained buffer may keep for reuse; a larger one is dropped once traffic falls,
/// so an idle connection does not hold a burst's worth of memory.
const RETAINED_BUFFER_BYTES_MAX: usize = 256 * 1024;

/// Drains `outbound` into `writer` until the connection closes.
pub async fn run_writer(outbound: Arc<Outbound>, write_deadline: Duration, broker: Arc<Broker>) {
    let mut batch = Spliced::default();
    loop {
        let (closing, msgs, bytes) = {
            let mut state = outbound.state.lock();
            state.out.swap(&mut batch);
            state.in_flight_bytes = batch.len();
            let counts = (state.batch_msgs, state.batch_bytes);
            state.out_msgs += counts.0;
            state.out_bytes += counts.1;
            state.batch_msgs = 0;
            state.batch_bytes = 0;
            (state.closing, counts.0, counts.1)
        };
        if closing == Some(Closing::Abort) {
            break;
        }
        if batch.is_empty() {
            if closing == Some(Closing::Flush) {
                break;
            }
            // A direct write (`Outbound::try_write_now`) may have left bytes in the
            // transport's own buffer (TLS records, WebSocket frames): push them out before
            // sleeping, or they would wait for the next message.
            if !flush_socket(&outbound, write_deadline).await {
                break;
            }
            outbound.writer_wake.notified().await;
            continue;
        }
        let stats = broker.stats();
        ServerStats::add(&stats.out_msgs, msgs);
        ServerStats::add(&stats.out_bytes, bytes);
        if !write_batch(&outbound, &batch, write_deadline).await
            || !flush_socket(&outbound, write_deadline).await
        {
            break;
        }
        // Drop the buffer only once traffic has fallen: shrinking one that the next batch
        // grows again costs a fresh allocation and its page faults on every batch.
        if batch.buffer.capacity() > RETAINED_BUFFER_BYTES_MAX
            && batch.buffer.len() < RETAINED_BUFFER_BYTES_MAX / 4
        {
            batch = Spliced::default();
        } else {
            batch.clear();
        }
    }
    let socket = outbound.socket.lock().await.take();
    if let Some(mut socket) = socket {
        // The peer may already be gone; nothing more to report.
        let _ = tokio::time::timeout(write_deadline, socket.shutdown()).await;
    }
}

/// Flushes what the transport buffered itself (a no-op for plain TCP); false when the
/// connection must close.
async fn flush_socket(outbound: &Outbound, write_deadline: Duration) -> bool {
    let mut socket = outbound.socket.lock().await;
    let Some(writer) = socket.as_mut() else {
        return false;
    };
    match tokio::time::timeout(write_deadline, writer.flush()).await {
        Ok(Ok(())) => true,
        Ok(Err(_)) => {
            drop(socket);
            outbound.fail(ClosedReason::WriteError);
            false
        }
        Err(_) => {
            drop(socket);
            tracing::info!("slow consumer detected: write deadline exceeded");
            outbound.slow_consumer(ClosedReason::SlowConsumerWriteDeadline);
            false
        }
    }
}

/// Writes one batch with vectored writes; false when the connection must close.
async fn write_batch(outbound: &Outbound, batch: &Spliced, write_deadline: Duration) -> bool {
    let mut slices = Vec::with_capacity(crate::spliced::IO_SLICES_MAX);
    let mut position = 0;
    while position < batch.len() {
        batch.io_slices(position, &mut slices);
        let mut socket = outbound.socket.lock().await;
        let Some(writer) = socket.as_mut() else {
            return false;
        };
        let written = tokio::time::timeout(write_deadline, writer.write_vectored(&slices)).await;
        drop(socket);
        let written = match written {
            Ok(Ok(0)) | Ok(Err(_)) => {
                outbound.fail(ClosedReason::WriteError);
                return false;
            }
            Ok(Ok(written)) => written,
            Err(_) => {
                tracing::info!("slow consumer detected: write deadline exceeded");
                outbound.slow_consumer(ClosedReason::SlowConsumerWriteDeadline);
                return false;
            }
        };
        position += written;
        assert!(position <= batch.len(), "wrote more than the batch holds");
        let mut state = outbound.state.lock();
        // The batch was counted in flight when it was taken from the outbound.
        state.in_flight_bytes = state
            .in_flight_bytes
            .checked_sub(written)
            .expect("in-flight bytes cover what was written");
        drop(state);
        outbound.stall.drained();
    }
    true
}
