//! A byte cursor over configuration text that tracks line and column.
//!
//! Every delimiter of the format is ASCII, so the parser only ever stops on ASCII bytes and the
//! slices it takes fall on UTF-8 boundaries; `slice` still uses checked access.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Position};

/// A saved cursor state, to re-read a token under another rule (a number that turns out to be
/// an unquoted string such as `10s`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    pos: usize,
    line: u32,
    column: u32,
}

/// A cursor with the current line and column.
pub(crate) struct Scanner<'t> {
    text: &'t str,
    pos: usize,
    line: u32,
    column: u32,
    file: Arc<Path>,
}

impl<'t> Scanner<'t> {
    pub(crate) fn new(text: &'t str, file: Arc<Path>) -> Self {
        Self {
            text,
            pos: 0,
            line: 1,
            column: 1,
            file,
        }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    pub(crate) fn peek_at(&self, offset: usize) -> Option<u8> {
        self.text
            .as_bytes()
            .get(self.pos.saturating_add(offset))
            .copied()
    }

    /// Consumes one byte. Columns count characters: UTF-8 continuation bytes do not advance.
    pub(crate) fn bump(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        if byte == b'\n' {
            self.line = self.line.saturating_add(1);
            self.column = 1;
        } else if byte & 0xC0 != 0x80 {
            self.column = self.column.saturating_add(1);
        }
        Some(byte)
    }

    /// Consumes bytes while `keep` holds.
    pub(crate) fn bump_while(&mut self, keep: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark {
            pos: self.pos,
            line: self.line,
            column: self.column,
        }
    }

    pub(crate) fn reset(&mut self, mark: Mark) {
        self.pos = mark.pos;
        self.line = mark.line;
        self.column = mark.column;
    }

    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    pub(crate) fn slice(&self, start: usize, end: usize) -> &'t str {
        self.text.get(start..end).unwrap_or_default()
    }

    pub(crate) fn position(&self) -> Position {
        Position {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
        }
    }

    pub(crate) fn error(&self, reason: impl Into<String>) -> Error {
        Error::Syntax {
            position: self.position(),
            reason: reason.into(),
        }
    }

    /// Skips spaces and tabs only (a newline ends a value).
    pub(crate) fn skip_blanks(&mut self) {
        self.bump_while(|byte| byte == b' ' || byte == b'\t');
    }

    /// Skips a `#` or `//` comment up to (not including) the end of the line.
    /// Returns false when no comment starts here.
    pub(crate) fn skip_comment(&mut self) -> bool {
        let starts = match self.peek() {
            Some(b'#') => true,
            Some(b'/') => self.peek_at(1) == Some(b'/'),
            _ => false,
        };
        if starts {
            self.bump_while(|byte| byte != b'\n' && byte != b'\r');
        }
        starts
    }

    /// Skips all white space, newlines and comments.
    pub(crate) fn skip_space_and_comments(&mut self) {
        loop {
            self.bump_while(is_space);
            if !self.skip_comment() {
                return;
            }
        }
    }
}

/// White space including newlines, as Go's `unicode.IsSpace` for ASCII.
pub(crate) fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// True for the bytes that end an unquoted value.
pub(crate) fn ends_unquoted(byte: u8) -> bool {
    matches!(
        byte,
        b'\n' | b'\r' | b';' | b',' | b']' | b'}' | b' ' | b'\t'
    )
}
