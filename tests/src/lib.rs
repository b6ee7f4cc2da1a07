//! Integration tests: real clients against a real natrium process.
