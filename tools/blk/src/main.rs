//! natrium-blk: inspect, verify, dump, recover and compact block files offline.

fn main() {}
