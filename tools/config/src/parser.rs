//! Configuration text to a tree of [`Map`]s: keys and separators, blocks, arrays, `include`
//! and `$variable` references, with every input bound named `*_MAX`.
//!
//! The grammar is the Go server's conf/lex.go + conf/parse.go: `key: value`, `key = value` or
//! `key value`; values end at a newline, `,` or `;`; `#` and `//` comments. A variable
//! resolves to an earlier key of an enclosing map (innermost first), then to an environment
//! variable whose text is parsed as a value. An included file is parsed on its own and its keys
//! are merged where the `include` stands.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Position, Result};
use crate::literal::{self, Scalar};
use crate::scanner::{Scanner, is_space};
use crate::value::{Entry, Item, Map, Value};

/// Maps and arrays nested in one another, at most (across includes and variables).
pub const NESTING_DEPTH_MAX: usize = 64;
/// Files included in one another, at most.
pub const INCLUDE_DEPTH_MAX: usize = 10;
/// `include` directives processed in one load, at most.
pub const INCLUDES_MAX: usize = 256;
/// Bytes of one configuration file, at most.
pub const FILE_BYTES_MAX: usize = 16 << 20;
/// Values in one load, at most, counting every copy made by a variable reference.
pub const VALUES_MAX: usize = 1_000_000;
/// Environment variables whose values refer to further environment variables, at most.
pub const ENV_DEPTH_MAX: usize = 8;

/// Where `$NAME` references look after the enclosing maps.
pub trait Environment {
    /// The variable's text, when set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<S: BuildHasher> Environment for HashMap<String, String, S> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Parses `text` (from the file `origin`, which anchors relative includes) into its top map.
pub fn parse_document(text: &str, origin: &Path, env: &dyn Environment) -> Result<Map> {
    let mut budget = Budget {
        values_left: VALUES_MAX,
        includes_left: INCLUDES_MAX,
        env,
        env_references: HashSet::new(),
    };
    let dir = origin.parent().map(Path::to_path_buf).unwrap_or_default();
    let nesting = Nesting {
        depth: 0,
        include_depth: 0,
        env_depth: 0,
    };
    parse_text(text, Arc::from(origin), dir, &mut budget, nesting)
}

/// Reads a file of at most `FILE_BYTES_MAX` bytes; `position` is the `include` naming it.
pub(crate) fn read_file(path: &Path, position: Option<&Position>) -> Result<String> {
    let file_name = path.to_path_buf();
    let io_error = |source| match position {
        Some(position) => Error::Include {
            position: position.clone(),
            file: file_name.clone(),
            source,
        },
        None => Error::Io {
            file: file_name.clone(),
            source,
        },
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut text = String::new();
    let limit = u64::try_from(FILE_BYTES_MAX)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    file.take(limit)
        .read_to_string(&mut text)
        .map_err(io_error)?;
    if text.len() > FILE_BYTES_MAX {
        let position = position.cloned().unwrap_or_else(|| Position {
            file: Arc::from(path),
            line: 1,
            column: 1,
        });
        return Err(Error::Limit {
            position,
            what: "file bytes",
            max: FILE_BYTES_MAX,
        });
    }
    Ok(text)
}

/// Shared by a load and all the files and variables it reaches.
struct Budget<'e> {
    values_left: usize,
    includes_left: usize,
    env: &'e dyn Environment,
    /// Environment variables being expanded, to refuse cycles.
    env_references: HashSet<String>,
}

#[derive(Clone, Copy)]
struct Nesting {
    depth: usize,
    include_depth: usize,
    env_depth: usize,
}

fn parse_text(
    text: &str,
    file: Arc<Path>,
    dir: PathBuf,
    budget: &mut Budget<'_>,
    nesting: Nesting,
) -> Result<Map> {
    let scan = Scanner::new(text, file);
    if text.len() > FILE_BYTES_MAX {
        let position = scan.position();
        return Err(Error::Limit {
            position,
            what: "file bytes",
            max: FILE_BYTES_MAX,
        });
    }
    let mut parser = Parser {
        scan,
        budget,
        scopes: vec![Map::default()],
        dir,
        nesting,
    };
    parser.body(false)?;
    Ok(parser.scopes.pop().unwrap_or_default())
}

struct Parser<'t, 'b, 'e> {
    scan: Scanner<'t>,
    budget: &'b mut Budget<'e>,
    /// The maps being built, outermost first: where entries go and variables are looked up.
    scopes: Vec<Map>,
    dir: PathBuf,
    nesting: Nesting,
}

impl Parser<'_, '_, '_> {
    fn limit(&self, what: &'static str, max: usize) -> Error {
        Error::Limit {
            position: self.scan.position(),
            what,
            max,
        }
    }

    fn descend(&mut self) -> Result<()> {
        if self.nesting.depth >= NESTING_DEPTH_MAX {
            return Err(self.limit("nesting depth", NESTING_DEPTH_MAX));
        }
        self.nesting.depth += 1;
        Ok(())
    }

    fn charge(&mut self, values: usize) -> Result<()> {
        if values > self.budget.values_left {
            return Err(self.limit("values", VALUES_MAX));
        }
        self.budget.values_left -= values;
        Ok(())
    }

    fn insert(&mut self, entry: Entry) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(entry);
        }
    }

    /// Entries up to the end of the file (`closing` false) or a `}` (`closing` true).
    fn body(&mut self, closing: bool) -> Result<()> {
        loop {
            self.scan.skip_space_and_comments();
            match self.scan.peek() {
                None if closing => {
                    return Err(self.scan.error("unexpected end of file, expected '}'"));
                }
                None => return Ok(()),
                Some(b'}') if closing => {
                    self.scan.bump();
                    return Ok(());
                }
                // Go accepts a top level wrapped in braces; its keys are top-level keys.
                Some(b'{') if !closing && self.scopes.len() == 1 => {
                    self.scan.bump();
                    self.descend()?;
                    self.body(true)?;
                    self.nesting.depth -= 1;
                    self.value_end(false)?;
                }
                // Go tolerates one stray `}` as the very last token of a file.
                Some(b'}') if !closing && self.trailing_brace() => return Ok(()),
                Some(byte @ (b':' | b'=' | b'}' | b']' | b',')) => {
                    let shown = char::from(byte);
                    return Err(self
                        .scan
                        .error(format!("unexpected '{shown}', expected a key")));
                }
                Some(_) => {
                    self.entry()?;
                    self.value_end(closing)?;
                }
            }
        }
    }

    /// True (and the input consumed) when a `}` is followed only by space and comments.
    fn trailing_brace(&mut self) -> bool {
        let mark = self.scan.mark();
        self.scan.bump();
        self.scan.skip_space_and_comments();
        if self.scan.peek().is_none() {
            return true;
        }
        self.scan.reset(mark);
        false
    }

    fn entry(&mut self) -> Result<()> {
        let key_position = self.scan.position();
        let (key, bare) = self.key()?;
        if bare && key.eq_ignore_ascii_case("include") && self.scan.peek().is_some_and(is_space) {
            return self.include();
        }
        self.scan.bump_while(is_space);
        if matches!(self.scan.peek(), Some(b':' | b'=')) {
            self.scan.bump();
        }
        self.scan.skip_blanks();
        match self.scan.peek() {
            None => return Err(self.scan.error(format!("key '{key}' has no value"))),
            Some(b'\n' | b'\r') => {
                return Err(self
                    .scan
                    .error(format!("expected a value for '{key}', found a new line")));
            }
            Some(_) => {}
        }
        let item = self.value()?;
        self.insert(Entry {
            key,
            key_position,
            item,
            used_as_variable: false,
        });
        Ok(())
    }

    /// A quoted or bare key; the flag is true for a bare key.
    fn key(&mut self) -> Result<(String, bool)> {
        if let Some(quote @ (b'"' | b'\'')) = self.scan.peek() {
            self.scan.bump();
            let start = self.scan.offset();
            self.scan.bump_while(|byte| byte != quote);
            if self.scan.peek().is_none() {
                return Err(self.scan.error("unexpected end of file in a quoted key"));
            }
            let key = self.scan.slice(start, self.scan.offset()).to_owned();
            self.scan.bump();
            return Ok((key, false));
        }
        let start = self.scan.offset();
        self.scan
            .bump_while(|byte| !is_space(byte) && byte != b':' && byte != b'=');
        let key = self.scan.slice(start, self.scan.offset()).to_owned();
        if self.scan.peek().is_none() {
            return Err(self.scan.error(format!("key '{key}' has no value")));
        }
        Ok((key, true))
    }

    /// After a value: blanks, an optional comment, then a newline, `,`, `;`, end of file, or
    /// (inside braces) the closing `}`, which is left for `body`.
    fn value_end(&mut self, closing: bool) -> Result<()> {
        self.scan.skip_blanks();
        self.scan.skip_comment();
        match self.scan.peek() {
            None => Ok(()),
            Some(b'\n' | b'\r' | b',' | b';') => {
                self.scan.bump();
                Ok(())
            }
            Some(b'}') if closing => Ok(()),
            Some(byte) => Err(self.scan.error(format!(
                "expected a value to end with a new line, ',', ';' or a comment, got {}",
                describe(byte)
            ))),
        }
    }

    fn value(&mut self) -> Result<Item> {
        self.charge(1)?;
        let position = self.scan.position();
        let scalar = match self.scan.peek() {
            Some(b'[') => Scalar::Value(self.array()?),
            Some(b'{') => Scalar::Value(self.map()?),
            Some(b'"') => Scalar::Value(Value::String(literal::double_quoted(&mut self.scan)?)),
            Some(b'\'') => Scalar::Value(Value::String(literal::single_quoted(&mut self.scan)?)),
            Some(b'(') => Scalar::Value(Value::String(literal::block(&mut self.scan)?)),
            Some(b'-' | b'0'..=b'9') => literal::number(&mut self.scan)?,
            Some(b'.') => return Err(self.scan.error("floats must start with a digit")),
            None | Some(b'\n' | b'\r') => return Err(self.scan.error("expected a value")),
            Some(_) => literal::unquoted(&mut self.scan)?,
        };
        match scalar {
            Scalar::Value(value) => Ok(Item { value, position }),
            Scalar::Variable(name) => self.variable(&name, position),
        }
    }

    fn array(&mut self) -> Result<Value> {
        self.descend()?;
        self.scan.bump();
        let mut items = Vec::new();
        loop {
            self.scan.skip_space_and_comments();
            match self.scan.peek() {
                Some(b']') => {
                    self.scan.bump();
                    break;
                }
                Some(b',') => return Err(self.scan.error("unexpected ',' in an array")),
                None => return Err(self.scan.error("unexpected end of file in an array")),
                Some(_) => {}
            }
            items.push(self.value()?);
            self.scan.skip_blanks();
            self.scan.skip_comment();
            match self.scan.peek() {
                Some(b',' | b'\n' | b'\r') => {
                    self.scan.bump();
                }
                Some(b']') => {
                    self.scan.bump();
                    break;
                }
                None => return Err(self.scan.error("unexpected end of file in an array")),
                Some(byte) => {
                    let shown = describe(byte);
                    return Err(self
                        .scan
                        .error(format!("expected ',' or ']' in an array, got {shown}")));
                }
            }
        }
        self.nesting.depth -= 1;
        Ok(Value::Array(items))
    }

    fn map(&mut self) -> Result<Value> {
        self.descend()?;
        self.scan.bump();
        self.scopes.push(Map::default());
        let result = self.body(true);
        let map = self.scopes.pop().unwrap_or_default();
        result?;
        self.nesting.depth -= 1;
        Ok(Value::Map(map))
    }

    /// `$name`: an earlier key of an enclosing map, else an environment variable.
    fn variable(&mut self, name: &str, position: Position) -> Result<Item> {
        // Unquoted bcrypt hashes (`$2a$11$...`) are strings, not references, as in Go.
        if is_bcrypt_reference(name) {
            return Ok(Item {
                value: Value::String(format!("${name}")),
                position,
            });
        }
        let found = self
            .scopes
            .iter_mut()
            .rev()
            .find_map(|scope| scope.get_mut(name));
        if let Some(entry) = found {
            entry.used_as_variable = true;
            let cost = entry.item.value.node_count();
            if cost > self.budget.values_left {
                return Err(Error::Limit {
                    position,
                    what: "values",
                    max: VALUES_MAX,
                });
            }
            let value = entry.item.value.clone();
            self.charge(cost)?;
            return Ok(Item { value, position });
        }
        self.environment_variable(name, position)
    }

    fn environment_variable(&mut self, name: &str, position: Position) -> Result<Item> {
        if self.nesting.env_depth >= ENV_DEPTH_MAX {
            return Err(Error::Limit {
                position,
                what: "variable depth",
                max: ENV_DEPTH_MAX,
            });
        }
        let not_found = |reason: String| Error::Syntax {
            position: position.clone(),
            reason,
        };
        if !self.budget.env_references.insert(name.to_owned()) {
            return Err(not_found(format!("variable reference cycle for '{name}'")));
        }
        let Some(text) = self.budget.env.var(name) else {
            self.budget.env_references.remove(name);
            return Err(not_found(format!(
                "variable reference for '{name}' can not be found"
            )));
        };
        // The value is parsed as the Go server does: as the value of a one-key document.
        let document = format!("pk={text}");
        let file: Arc<Path> = Arc::from(Path::new(&format!("${name}")));
        let nesting = Nesting {
            env_depth: self.nesting.env_depth + 1,
            ..self.nesting
        };
        let parsed = parse_text(&document, file, self.dir.clone(), self.budget, nesting);
        self.budget.env_references.remove(name);
        // Report a bad value where the reference stands, naming the variable.
        let parsed = parsed.map_err(|error| match error {
            Error::Syntax { reason, .. } => {
                not_found(format!("environment variable '{name}': {reason}"))
            }
            other => other,
        })?;
        let entry = parsed
            .into_entries()
            .into_iter()
            .find(|entry| entry.key == "pk");
        let value = entry.map(|entry| entry.item.value);
        let value = value.ok_or_else(|| not_found(format!("variable '{name}' has no value")))?;
        Ok(Item { value, position })
    }

    /// `include path`: the cursor is after the keyword.
    fn include(&mut self) -> Result<()> {
        self.scan.skip_blanks();
        let position = self.scan.position();
        let path = match self.scan.peek() {
            Some(quote @ (b'"' | b'\'')) => {
                self.scan.bump();
                let start = self.scan.offset();
                self.scan.bump_while(|byte| byte != quote);
                if self.scan.peek().is_none() {
                    return Err(self.scan.error("unexpected end of file in an include path"));
                }
                let path = self.scan.slice(start, self.scan.offset());
                self.scan.bump();
                path
            }
            None | Some(b'\n' | b'\r' | b'[' | b'{' | b'(') => {
                return Err(self.scan.error("expected a file name after include"));
            }
            Some(_) => {
                let start = self.scan.offset();
                self.scan.bump_while(|byte| {
                    !matches!(byte, b'\n' | b'\r' | b';' | b'}' | b' ' | b'\t' | b'\'')
                });
                self.scan.slice(start, self.scan.offset())
            }
        };
        if path.is_empty() {
            return Err(Error::Syntax {
                position,
                reason: "expected a file name after include".into(),
            });
        }
        if self.nesting.include_depth >= INCLUDE_DEPTH_MAX {
            return Err(Error::Limit {
                position,
                what: "include depth",
                max: INCLUDE_DEPTH_MAX,
            });
        }
        if self.budget.includes_left == 0 {
            return Err(Error::Limit {
                position,
                what: "includes",
                max: INCLUDES_MAX,
            });
        }
        self.budget.includes_left -= 1;
        let path = self.dir.join(path);
        let text = read_file(&path, Some(&position))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let nesting = Nesting {
            include_depth: self.nesting.include_depth + 1,
            ..self.nesting
        };
        let included = parse_text(&text, Arc::from(path.as_path()), dir, self.budget, nesting)?;
        for entry in included.into_entries() {
            self.insert(entry);
        }
        Ok(())
    }
}

fn is_bcrypt_reference(name: &str) -> bool {
    ["2a$", "2b$", "2x$", "2y$"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

fn describe(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("'{}'", char::from(byte))
    } else {
        format!("byte 0x{byte:02x}")
    }
}
