//! FileStore: the durable stream store on block files (owned by the FileStore work).
