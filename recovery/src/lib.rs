//! Scans, verifies and repairs block files: the one parser used at open and offline.
