//! load: maps a JSON pointer back to a line and column of the case file it came from, so every
//! problem the loader finds (schema, catalogue, templates) is reported where the author can see it.
//! serde_json's `Value` keeps no positions, hence this small scanner over the original text.

/// A 1-based line and column (columns count characters, as editors do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Where `pointer` (RFC 6901) is in `text`: the member's key when the pointer ends in an object
/// member, else the value's first character. `None` when the text does not contain that path.
pub fn locate(text: &str, pointer: &str) -> Option<Position> {
    let segments = parse_pointer(pointer)?;
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        pos: 0,
    };
    scanner.skip_ws();
    let offset = scanner.find(&segments)?;
    Some(position_of(text, offset))
}

/// The line and column of byte `offset` in `text`.
pub fn position_of(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line,
        column: before[line_start..].chars().count() + 1,
    }
}

/// The text of line `line` (1-based), without its end of line.
pub fn line_text(text: &str, line: usize) -> Option<&str> {
    text.lines().nth(line.checked_sub(1)?)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn parse_pointer(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// With `pos` at a value, returns the offset the remaining `segments` lead to.
    fn find(&mut self, segments: &[String]) -> Option<usize> {
        let Some((first, rest)) = segments.split_first() else {
            return Some(self.pos);
        };
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                loop {
                    self.skip_ws();
                    if self.peek()? == b'}' {
                        return None;
                    }
                    let key_at = self.pos;
                    let key = self.string()?;
                    self.skip_ws();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.pos += 1;
                    self.skip_ws();
                    if key == *first {
                        return if rest.is_empty() {
                            Some(key_at)
                        } else {
                            self.find(rest)
                        };
                    }
                    self.skip_value()?;
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let index: usize = first.parse().ok()?;
                self.pos += 1;
                for _ in 0..index {
                    self.skip_ws();
                    self.skip_value()?;
                    self.skip_ws();
                    if self.peek()? != b',' {
                        return None;
                    }
                    self.pos += 1;
                }
                self.skip_ws();
                if self.peek()? == b']' {
                    return None;
                }
                self.find(rest)
            }
            _ => None,
        }
    }

    /// Reads a string at `pos` (decoding escapes) and moves past it.
    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    break;
                }
                _ => self.pos += 1,
            }
        }
        let raw = std::str::from_utf8(self.bytes.get(start..self.pos)?).ok()?;
        serde_json::from_str(raw).ok()
    }

    /// Moves past the value at `pos`.
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.pos += 1;
                loop {
                    self.skip_ws();
                    match self.peek()? {
                        c if c == close => {
                            self.pos += 1;
                            return Some(());
                        }
                        b',' | b':' => self.pos += 1,
                        _ => self.skip_value()?,
                    }
                }
            }
            _ => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.pos += 1;
                }
                (self.pos > start).then_some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\n  \"cases\": [\n    {\"name\": \"a\", \"steps\": [1, {\"x\\\"y\": null}]},\n    {\"name\": \"b/c\", \"é\": [ ]}\n  ]\n}\n";

    fn at(pointer: &str) -> Option<(usize, usize)> {
        locate(TEXT, pointer).map(|p| (p.line, p.column))
    }

    #[test]
    fn finds_members_by_their_key_and_elements_by_their_value() {
        assert_eq!(at(""), Some((1, 1)));
        assert_eq!(at("/cases"), Some((2, 3)));
        assert_eq!(at("/cases/0"), Some((3, 5)));
        assert_eq!(at("/cases/0/name"), Some((3, 6)));
        assert_eq!(at("/cases/0/steps/1"), Some((3, 32)));
        assert_eq!(at("/cases/0/steps/1/x\"y"), Some((3, 33)));
        assert_eq!(at("/cases/1/name"), Some((4, 6)));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(at("/cases/1/é"), Some((4, 21)));
    }

    #[test]
    fn escaped_segments_are_decoded() {
        let text = r#"{"a/b": {"c~d": 1}}"#;
        assert_eq!(
            locate(text, "/a~1b/c~0d"),
            Some(Position {
                line: 1,
                column: 10
            })
        );
    }

    #[test]
    fn absent_paths_give_none() {
        assert_eq!(at("/cases/2"), None);
        assert_eq!(at("/cases/0/missing"), None);
        assert_eq!(at("/cases/x"), None);
        assert_eq!(at("no-slash"), None);
        assert_eq!(locate("{\"a\": ", "/a/b"), None);
    }

    #[test]
    fn line_text_returns_the_source_line() {
        assert_eq!(line_text(TEXT, 2), Some("  \"cases\": ["));
        assert_eq!(line_text(TEXT, 0), None);
    }
}
