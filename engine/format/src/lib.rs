//! Byte layouts and codecs of block records, indexes, checkpoints and consumer state. No I/O.
