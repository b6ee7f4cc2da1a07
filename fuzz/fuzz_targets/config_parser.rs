//! Fuzzes the nats-server configuration parser and the typed conversion: any text must parse
//! or fail with a positioned error, never panic, and parse the same way twice.
#![no_main]

use std::collections::HashMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use natrium_config::{Error, parse_str_with_env};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Includes read the file system (a named pipe could block the fuzzer); the include path
    // handling is covered by the crate's tests.
    if text.to_ascii_lowercase().contains("include") {
        return;
    }
    // A fixed environment keeps runs reproducible.
    let env: HashMap<String, String> = [
        (
            "FUZZ_VAR".to_owned(),
            "{a: [1, 2], b: $FUZZ_VAR_2}".to_owned(),
        ),
        ("FUZZ_VAR_2".to_owned(), "x".to_owned()),
    ]
    .into();
    let origin = Path::new("fuzz.conf");
    let first = parse_str_with_env(text, origin, &env);
    let second = parse_str_with_env(text, origin, &env);
    match (&first, &second) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.config, b.config);
            assert_eq!(a.warnings, b.warnings);
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string());
            // Every error but a file read carries a position in the input.
            if let Error::Syntax { position, .. }
            | Error::Type { position, .. }
            | Error::Invalid { position, .. }
            | Error::Limit { position, .. } = a
            {
                let lines = u32::try_from(text.lines().count()).unwrap_or(u32::MAX);
                assert!(position.line >= 1 && position.line <= lines.saturating_add(1));
                assert!(position.column >= 1);
            }
        }
        _ => panic!("parsing the same text twice disagreed"),
    }
});
