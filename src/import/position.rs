//! Where a field path, as the importers write it (`methodSettings."*/*".cachingEnabled`,
//! `Resources.Prod.Properties.MethodSettings[0]`), sits in a JSON or YAML document's
//! text: the line and column of its key, or of its nearest parent the text has. Audit
//! findings use it to point at a line (SARIF results need one to show on a pull
//! request). JSON is walked token by token, so minified output (`terraform show
//! -json`) is found as well as pretty-printed; YAML is walked by indentation, as block
//! style writes it (a flow-style `{...}` or `[...]` value is located at its parent).

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// The steps of `path` (`a.b."c.d"[3]`); `None` when it is not such a path.
pub fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut chars = path.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '.' => {
                chars.next();
            }
            '[' => {
                chars.next();
                let mut digits = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    digits.push(d);
                }
                steps.push(Step::Index(digits.parse().ok()?));
            }
            '"' => {
                chars.next();
                let mut key = String::new();
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => key.push(chars.next()?),
                        other => key.push(other),
                    }
                }
                steps.push(Step::Key(key));
            }
            _ => {
                let mut key = String::new();
                while let Some(&k) = chars.peek() {
                    if k == '.' || k == '[' {
                        break;
                    }
                    key.push(k);
                    chars.next();
                }
                steps.push(Step::Key(key));
            }
        }
    }
    Some(steps)
}

/// The 1-based line and column of `path` (or of its nearest parent present) in
/// `text`, a JSON or YAML document.
pub fn locate(text: &str, path: &[Step]) -> (usize, usize) {
    let offset = if text.trim_start().starts_with(['{', '[']) {
        Json {
            b: text.as_bytes(),
            i: 0,
        }
        .find(path)
    } else {
        yaml(text, path)
    };
    crate::scenario::line_col(text, offset)
}

/// A cursor over JSON text.
struct Json<'a> {
    b: &'a [u8],
    i: usize,
}

impl Json<'_> {
    /// The offset of the deepest step of `path` found (its key, or its list item).
    fn find(&mut self, path: &[Step]) -> usize {
        self.ws();
        let mut best = self.i;
        for step in path {
            self.ws();
            let found = match (step, self.b.get(self.i)) {
                (Step::Key(k), Some(b'{')) => self.member(k),
                (Step::Index(n), Some(b'[')) => self.item(*n),
                _ => None,
            };
            match found {
                Some(at) => best = at,
                None => break,
            }
        }
        best
    }

    /// Moves to the value of member `key` of the object here; its key's offset.
    fn member(&mut self, key: &str) -> Option<usize> {
        self.i += 1;
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return None;
            }
            let start = self.i;
            let end = self.string()?;
            let name: Option<String> = serde_json::from_slice(&self.b[start..end]).ok();
            self.ws();
            if self.b.get(self.i) != Some(&b':') {
                return None;
            }
            self.i += 1;
            self.ws();
            if name.as_deref() == Some(key) {
                return Some(start);
            }
            self.value()?;
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                _ => return None,
            }
        }
    }

    /// Moves to item `n` of the list here; its offset.
    fn item(&mut self, n: usize) -> Option<usize> {
        self.i += 1;
        for _ in 0..n {
            self.ws();
            self.value()?;
            self.ws();
            if self.b.get(self.i) != Some(&b',') {
                return None;
            }
            self.i += 1;
        }
        self.ws();
        (self.b.get(self.i)? != &b']').then_some(self.i)
    }

    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    /// Skips the string starting here; the offset just past it.
    fn string(&mut self) -> Option<usize> {
        self.i += 1;
        loop {
            match self.b.get(self.i)? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Some(self.i);
                }
                _ => self.i += 1,
            }
        }
    }

    /// Skips the value starting here (nesting counted, strings skipped whole).
    fn value(&mut self) -> Option<()> {
        match self.b.get(self.i)? {
            b'"' => {
                self.string()?;
            }
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.b.get(self.i)? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while self
                    .b
                    .get(self.i)
                    .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
                {
                    self.i += 1;
                }
            }
        }
        Some(())
    }
}

/// One line of a YAML document: its offset, indentation and text after it.
struct Line<'a> {
    offset: usize,
    indent: usize,
    text: &'a str,
}

/// The offset of the deepest step of `path` found in block-style YAML.
fn yaml(text: &str, path: &[Step]) -> usize {
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let body = raw.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start_matches(' ');
        if !trimmed.is_empty() && !trimmed.starts_with('#') && trimmed != "---" {
            lines.push(Line {
                offset,
                indent: body.len() - trimmed.len(),
                text: trimmed,
            });
        }
        offset += raw.len();
    }
    // The node being walked: its first line and the column its entries start at (a
    // list item's mapping starts on the item's own line, after `- `).
    let Some(first) = lines.first() else {
        return 0;
    };
    let (mut line, mut column) = (0, first.indent);
    let mut best = first.offset;
    for step in path {
        // The node's entries: `line` (from `column`) and the lines after it indented
        // at least `column`.
        let entry = |l: usize| -> Option<&str> {
            let at = lines.get(l)?;
            if l == line {
                let shift = column.checked_sub(at.indent)?;
                at.text.get(shift..)
            } else if at.indent == column {
                Some(at.text)
            } else {
                None
            }
        };
        let within = |l: usize| l == line || lines.get(l).is_some_and(|x| x.indent >= column);
        let mut found = None;
        let mut count = 0;
        let mut l = line;
        while l < lines.len() && within(l) {
            if let Some(entry) = entry(l) {
                let hit = match step {
                    Step::Key(k) => key_of(entry) == Some(k.as_str()),
                    Step::Index(n) => {
                        let item = entry == "-" || entry.starts_with("- ");
                        if item {
                            count += 1;
                        }
                        item && count == n + 1
                    }
                };
                if hit {
                    found = Some(l);
                    break;
                }
            }
            l += 1;
        }
        let Some(l) = found else {
            break;
        };
        let start = lines[l].offset + if l == line { column } else { lines[l].indent };
        best = start;
        // Where the value's entries start.
        let entry = entry(l).unwrap_or("");
        let rest = match step {
            Step::Key(_) => entry.split_once(':').map_or("", |(_, v)| v).trim(),
            Step::Index(_) => entry.strip_prefix('-').unwrap_or("").trim_start(),
        };
        let own_column = if l == line { column } else { lines[l].indent };
        if matches!(step, Step::Index(_)) && !rest.is_empty() {
            // A mapping (or scalar) on the item's own line, after `- `.
            line = l;
            column = own_column + (entry.len() - rest.len());
        } else if rest.is_empty() || rest.starts_with('&') || rest.starts_with('!') {
            // The value is on the lines below (a list may sit at the key's own indent).
            match lines.get(l + 1) {
                Some(next)
                    if next.indent > own_column
                        || (next.indent == own_column && next.text.starts_with('-')) =>
                {
                    line = l + 1;
                    column = next.indent;
                }
                _ => break,
            }
        } else {
            break;
        }
    }
    best
}

/// The key of a `key: value` entry (quotes removed).
fn key_of(entry: &str) -> Option<&str> {
    let (key, _) = entry.split_once(':')?;
    let key = key.trim();
    Some(
        key.strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
            .unwrap_or(key),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, path: &str) -> (usize, usize) {
        locate(text, &parse_path(path).expect("a path"))
    }

    #[test]
    fn paths_parse_with_quotes_and_indices() {
        assert_eq!(
            parse_path(r#"a.b."*/*"[3].c"#),
            Some(vec![
                Step::Key("a".into()),
                Step::Key("b".into()),
                Step::Key("*/*".into()),
                Step::Index(3),
                Step::Key("c".into()),
            ])
        );
        assert_eq!(parse_path("a[x]"), None);
        assert_eq!(parse_path("\"open"), None);
    }

    #[test]
    fn json_keys_and_items_pretty_and_minified() {
        let pretty = "{\n  \"a\": [1, {\"x\": \"]\"}],\n  \"methodSettings\": {\n    \"*/*\": {\n      \"cachingEnabled\": true\n    }\n  }\n}\n";
        assert_eq!(at(pretty, r#"methodSettings."*/*".cachingEnabled"#), (5, 7));
        assert_eq!(at(pretty, r#"methodSettings."*/*".missing"#), (4, 5));
        assert_eq!(at(pretty, "a[1].x"), (2, 13));
        assert_eq!(at(pretty, "a[2]"), (2, 3));
        let minified = r#"{"s":"a\"b","r":[{"v":1},{"v":{"k":2}}]}"#;
        assert_eq!(at(minified, "r[1].v.k"), (1, 32));
        assert_eq!(at(minified, "nothing"), (1, 1));
    }

    #[test]
    fn yaml_block_keys_list_items_and_fallbacks() {
        let text = "# comment\nResources:\n  Prod:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      MethodSettings:\n      - ResourcePath: /*\n        CachingEnabled: true\n      - HttpMethod: GET\n        CacheTtlInSeconds: 60\n      Tags: {a: 1}\n";
        assert_eq!(
            at(
                text,
                "Resources.Prod.Properties.MethodSettings[0].CachingEnabled"
            ),
            (8, 9)
        );
        assert_eq!(
            at(
                text,
                "Resources.Prod.Properties.MethodSettings[1].CacheTtlInSeconds"
            ),
            (10, 9)
        );
        assert_eq!(
            at(
                text,
                "Resources.Prod.Properties.MethodSettings[1].HttpMethod"
            ),
            (9, 9)
        );
        assert_eq!(at(text, "Resources.Prod.Properties.Tags.a"), (11, 7));
        assert_eq!(at(text, "Resources.Prod.Properties.Missing"), (5, 5));
        assert_eq!(at(text, "Resources.Other"), (2, 1));
        let quoted = "custom:\n  'apiGatewayCaching':\n    \"enabled\": true\n";
        assert_eq!(at(quoted, "custom.apiGatewayCaching.enabled"), (3, 5));
    }
}
