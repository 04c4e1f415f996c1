//! Finds where a field path sits in the TOML source, so that problems found after
//! parsing (cross-checks) still point at a line and column. Uses toml_edit's spans; a
//! path that does not exist in the file (a missing field) points at its nearest parent.

use super::error::{FieldPath, Seg};

/// The 1-based line and column of byte `offset` in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The line and column of `path` (or of its nearest existing parent) in `src`.
pub fn locate(src: &str, path: &FieldPath) -> Option<(usize, usize)> {
    let doc = toml_edit::Document::parse(src).ok()?;
    let mut item: &toml_edit::Item = doc.as_item();
    let mut best = None;
    for seg in &path.0 {
        let next = match seg {
            Seg::Key(k) => item.get(k.as_str()),
            Seg::Index(i) => item.get(*i),
        };
        match next {
            Some(n) => {
                item = n;
                if let Some(span) = n.span() {
                    best = Some(span.start);
                }
            }
            None => break,
        }
    }
    best.map(|offset| line_col(src, offset))
}

/// Whether `path` exists as written in `src` (not only a parent of it).
pub fn locate_exact(src: &str, path: &FieldPath) -> bool {
    let Ok(doc) = toml_edit::Document::parse(src) else {
        return false;
    };
    let mut item: &toml_edit::Item = doc.as_item();
    for seg in &path.0 {
        let next = match seg {
            Seg::Key(k) => item.get(k.as_str()),
            Seg::Index(i) => item.get(*i),
        };
        match next {
            Some(n) => item = n,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::error::at;

    const SRC: &str = "name = \"x\"\n\n[[clients]]\nname = \"a\"\nrate = 5\n\n[[clients]]\nname = \"b\"\nrate = -1\n\n[stage.method_settings.\"pets/GET\"]\ncache_ttl_in_seconds = 9000\n";

    #[test]
    fn finds_fields_in_arrays_of_tables_and_quoted_keys() {
        assert_eq!(
            locate(SRC, &at("clients").index(1).key("rate")),
            Some((9, 8))
        );
        assert_eq!(locate(SRC, &at("name")), Some((1, 8)));
        let ttl = at("stage")
            .key("method_settings")
            .key("pets/GET")
            .key("cache_ttl_in_seconds");
        assert_eq!(locate(SRC, &ttl), Some((12, 24)));
        // A missing field points at its parent.
        assert_eq!(
            locate(SRC, &at("clients").index(1).key("mix")),
            locate(SRC, &at("clients").index(1))
        );
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé\nf", 7), (2, 4));
        assert_eq!(line_col("x", 99), (1, 2));
    }
}
