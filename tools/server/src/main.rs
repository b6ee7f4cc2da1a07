//! natrium: the server binary.

fn main() {}
