//! Subject transforms (nats-server's ADR-30): a source filter and a destination template that
//! turn a matching subject into another, as stream `republish` (and later `subject_transform`,
//! sources and account mappings) use them.
//!
//! The destination is made of tokens:
//!
//! | destination token            | becomes                                                  |
//! |------------------------------|----------------------------------------------------------|
//! | a literal                    | itself                                                   |
//! | `*`                          | the value of the source's wildcard of the same rank      |
//! | `$N`, `{{wildcard(N)}}`      | the value of the source's N-th `*` (1-based)             |
//! | `>` (last token only)        | the tokens the source's final `>` matched                |
//!
//! Go's other mapping functions (`partition`, `split`, `splitFromLeft`, `slice...`) are
//! refused by name: a transform natrium cannot apply is never accepted and then ignored.

use std::fmt;

use crate::subject;

/// Tokens a source or destination may hold.
const TOKENS_MAX: usize = 256;

/// Why a transform was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransformError {
    /// The source is not a valid subject filter.
    InvalidSource,
    /// The destination is not a valid subject template.
    InvalidDestination(String),
    /// A mapping function natrium does not implement.
    Unsupported(String),
}

impl fmt::Display for TransformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSource => f.write_str("invalid source subject"),
            Self::InvalidDestination(why) => write!(f, "invalid destination: {why}"),
            Self::Unsupported(function) => {
                write!(
                    f,
                    "mapping function {function} is not supported by natrium yet"
                )
            }
        }
    }
}

impl std::error::Error for TransformError {}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Literal(String),
    /// Index into the source's `*` tokens.
    Wildcard(usize),
    /// What the source's final `>` matched.
    Rest,
}

/// A checked source and destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectTransform {
    source: Vec<String>,
    destination: Vec<Target>,
}

impl SubjectTransform {
    /// Checks `source` (a filter; empty means `>`) and `destination`.
    pub fn new(source: &str, destination: &str) -> Result<Self, TransformError> {
        let source = if source.is_empty() { ">" } else { source };
        if !subject::is_valid_filter(source.as_bytes()) {
            return Err(TransformError::InvalidSource);
        }
        let source: Vec<String> = source.split('.').map(str::to_owned).collect();
        if source.len() > TOKENS_MAX {
            return Err(TransformError::InvalidSource);
        }
        let stars = source.iter().filter(|token| *token == "*").count();
        let ends_in_rest = source.last().is_some_and(|token| token == ">");
        let tokens: Vec<&str> = destination.split('.').collect();
        if destination.is_empty() || tokens.len() > TOKENS_MAX {
            return Err(TransformError::InvalidDestination(
                "empty or too long".into(),
            ));
        }
        let mut targets = Vec::with_capacity(tokens.len());
        let mut next_star = 0;
        for (at, token) in tokens.iter().enumerate() {
            let target = match *token {
                "" => return Err(TransformError::InvalidDestination("empty token".into())),
                ">" if at + 1 == tokens.len() && ends_in_rest => Target::Rest,
                ">" => {
                    return Err(TransformError::InvalidDestination(
                        "'>' must be last and match a final '>' in the source".into(),
                    ));
                }
                "*" => {
                    next_star += 1;
                    Target::Wildcard(next_star - 1)
                }
                other => parse_token(other)?,
            };
            if let Target::Wildcard(index) = target
                && index >= stars
            {
                return Err(TransformError::InvalidDestination(format!(
                    "wildcard {} of {stars}",
                    index + 1
                )));
            }
            if let Target::Literal(text) = &target
                && text.bytes().any(|byte| byte.is_ascii_whitespace())
            {
                return Err(TransformError::InvalidDestination("whitespace".into()));
            }
            targets.push(target);
        }
        Ok(Self {
            source,
            destination: targets,
        })
    }

    /// The destination subject for `subject`, or `None` when it does not match the source.
    pub fn apply(&self, subject: &str) -> Option<String> {
        let tokens: Vec<&str> = subject.split('.').collect();
        let mut captured: Vec<&str> = Vec::new();
        let mut rest = None;
        for (at, pattern) in self.source.iter().enumerate() {
            match pattern.as_str() {
                ">" => {
                    let remaining = tokens.get(at..).filter(|left| !left.is_empty())?;
                    rest = Some(remaining.join("."));
                    break;
                }
                "*" => captured.push(tokens.get(at)?),
                literal if tokens.get(at) == Some(&literal) => {}
                _ => return None,
            }
        }
        if rest.is_none() && tokens.len() != self.source.len() {
            return None;
        }
        let mut out = String::with_capacity(subject.len() + 16);
        for (at, target) in self.destination.iter().enumerate() {
            if at > 0 {
                out.push('.');
            }
            match target {
                Target::Literal(text) => out.push_str(text),
                Target::Wildcard(index) => out.push_str(captured.get(*index)?),
                Target::Rest => out.push_str(rest.as_deref()?),
            }
        }
        Some(out)
    }
}

/// A destination token other than `*` and `>`: a literal, `$N` or `{{function(args)}}`.
fn parse_token(token: &str) -> Result<Target, TransformError> {
    if let Some(number) = token.strip_prefix('$')
        && !number.is_empty()
        && number.bytes().all(|byte| byte.is_ascii_digit())
    {
        return wildcard_index(number);
    }
    let Some(inner) = token
        .strip_prefix("{{")
        .and_then(|rest| rest.strip_suffix("}}"))
    else {
        if token.contains("{{") || token.contains("}}") {
            return Err(TransformError::InvalidDestination(format!(
                "unbalanced braces in {token:?}"
            )));
        }
        return Ok(Target::Literal(token.to_owned()));
    };
    let inner = inner.trim();
    let (name, args) = inner
        .split_once('(')
        .and_then(|(name, rest)| Some((name.trim(), rest.strip_suffix(')')?)))
        .ok_or_else(|| TransformError::InvalidDestination(format!("{token:?}")))?;
    if name.eq_ignore_ascii_case("wildcard") {
        return wildcard_index(args.trim());
    }
    Err(TransformError::Unsupported(name.to_owned()))
}

fn wildcard_index(number: &str) -> Result<Target, TransformError> {
    match number.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(Target::Wildcard(n - 1)),
        _ => Err(TransformError::InvalidDestination(format!(
            "wildcard index {number:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(source: &str, destination: &str, subject: &str) -> Option<String> {
        SubjectTransform::new(source, destination)
            .expect("valid")
            .apply(subject)
    }

    #[test]
    fn rest_and_wildcards_move_to_the_destination() {
        assert_eq!(
            map("one.>", "uno.>", "one.foo.bar").as_deref(),
            Some("uno.foo.bar")
        );
        assert_eq!(map(">", "copy.>", "a.b").as_deref(), Some("copy.a.b"));
        assert_eq!(map("", "copy.>", "a").as_deref(), Some("copy.a"));
        assert_eq!(map("a.*.*", "b.$2.$1", "a.x.y").as_deref(), Some("b.y.x"));
        assert_eq!(
            map("a.*.*", "b.{{ wildcard(2) }}.{{Wildcard(1)}}", "a.x.y").as_deref(),
            Some("b.y.x")
        );
        assert_eq!(map("a.*", "b.*", "a.x").as_deref(), Some("b.x"));
        assert_eq!(
            map("a.*.>", "b.$1.>", "a.x.y.z").as_deref(),
            Some("b.x.y.z")
        );
    }

    #[test]
    fn subjects_outside_the_source_are_not_mapped() {
        assert_eq!(map("one.>", "uno.>", "two.foo"), None);
        assert_eq!(map("one.>", "uno.>", "one"), None);
        assert_eq!(map("a.*", "b.$1", "a.x.y"), None);
        assert_eq!(map("a.b", "c", "a"), None);
    }

    #[test]
    fn bad_templates_and_unknown_functions_are_refused() {
        let refused = |source, destination| SubjectTransform::new(source, destination).is_err();
        assert!(refused("a.*", "b.$2"));
        assert!(refused("a.*", "b.>"));
        assert!(refused("a.>", "b.>.c"));
        assert!(refused("a..b", "c"));
        assert!(refused("a.*", "b..c"));
        assert!(refused("a.*", "b.{{wildcard(1)"));
        assert!(refused("a.*", "b.$0"));
        assert_eq!(
            SubjectTransform::new("a.*", "b.{{partition(3,1)}}"),
            Err(TransformError::Unsupported("partition".into()))
        );
    }
}
