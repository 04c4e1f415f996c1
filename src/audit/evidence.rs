//! Where a finding's evidence is: the rules name what they found in the scenario's
//! terms (a [`Site`]: a `[stage]` field, a method's field, a caller's grant), and the
//! audit's [`Sources`] say which file the user writes it in, under which field path, at
//! which line: the scenario's own field (a variant's or a sweep axis's when they set
//! it), else the stage file, API definition or policy file it was imported from.

use std::path::Path;

use super::Evidence;
use crate::import::api::ImportedApi;
use crate::import::position;
use crate::policy::StatementRef;
use crate::scenario::{FieldPath, Origin, Seg};

/// What a finding is about, in the scenario's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Site {
    /// A field under `[stage]` (the path after `stage`).
    Stage(Vec<Seg>),
    /// A field of a method: its index in the subject's resources, and the field.
    Resource(usize, &'static str),
    /// A caller's `execute-api:InvalidateCache` grant: its index, and the statement that
    /// allows it, when one does.
    Grant(usize, Option<StatementRef>),
}

/// A file the evidence may be in, with its text (for lines).
#[derive(Debug, Clone)]
pub(super) struct Text {
    pub file: String,
    pub text: Option<String>,
}

impl Text {
    /// Reads `path` (a file that cannot be read has no lines).
    pub fn read(path: &Path) -> Text {
        Text {
            file: path.display().to_string(),
            text: std::fs::read_to_string(path).ok(),
        }
    }

    /// Evidence at `field` (a field path in the file's own terms) of a JSON or YAML
    /// file.
    fn document(&self, field: &str) -> Evidence {
        let place = self.text.as_deref().and_then(|text| {
            position::parse_path(field).map(|steps| position::locate(text, &steps))
        });
        Evidence::new(&self.file, field.to_owned(), place)
    }
}

/// The files a subject's settings came from.
#[derive(Debug, Clone, Default)]
pub(super) struct Sources {
    /// The scenario file, and how the configuration was assembled from it.
    pub scenario: Option<(Text, Origin)>,
    /// The stage file, with where each setting is in it.
    pub stage: Option<(Text, crate::import::Origins)>,
    /// The API definition.
    pub api: Option<(Text, ImportedApi)>,
    /// Per caller: its policy files (the first when no statement is named).
    pub policies: Vec<Vec<String>>,
    /// Where policy names are relative to (the scenario's folder).
    pub policy_dir: std::path::PathBuf,
}

impl Sources {
    /// The evidence for `site`; `resources` and `principals` give labels and names.
    pub fn evidence(
        &self,
        site: &Site,
        resources: &[crate::gateway::ResourceConfig],
        principals: &[crate::gateway::Principal],
    ) -> Evidence {
        match site {
            Site::Stage(path) => {
                let mut full = vec![Seg::Key("stage".into())];
                full.extend(path.iter().cloned());
                let full = FieldPath(full);
                if let Some(e) = self.written(&full) {
                    return e;
                }
                if let Some((text, origins)) = &self.stage {
                    if let Some(field) = origins.of(path) {
                        return text.document(field);
                    }
                }
                self.in_scenario(&full)
            }
            Site::Resource(i, field) => {
                let full = FieldPath(vec![
                    Seg::Key("resources".into()),
                    Seg::Index(*i),
                    Seg::Key((*field).to_owned()),
                ]);
                if let Some(e) = self.written(&full) {
                    return e;
                }
                let r = resources.get(*i);
                let imported = self.api.as_ref().and_then(|(text, api)| {
                    let r = r?;
                    let m = api
                        .methods
                        .iter()
                        .find(|m| m.path == r.path && m.scenario_method() == r.method.as_str())?;
                    let at = if *field == "cache_key_parameters" {
                        &m.key_location
                    } else {
                        &m.location
                    };
                    Some(text.document(at))
                });
                imported.unwrap_or_else(|| self.in_scenario(&full))
            }
            Site::Grant(p, statement) => {
                if let Some(s) = statement {
                    return Text::read(&self.policy_dir.join(&s.policy))
                        .document(&format!("Statement[{}]", s.index));
                }
                let name = principals.get(*p).map_or("", |x| x.name.as_str());
                let full = FieldPath(vec![
                    Seg::Key("principals".into()),
                    Seg::Key(name.to_owned()),
                    Seg::Key("policies".into()),
                ]);
                if self.scenario.is_some() {
                    return self.in_scenario(&full);
                }
                let file = self.policies.get(*p).and_then(|f| f.first());
                file.map_or_else(
                    || Evidence::new("", full.to_string(), None),
                    |f| Text::read(Path::new(f)).document("Statement"),
                )
            }
        }
    }

    /// Where the scenario file itself writes `path`, if it does.
    fn written(&self, path: &FieldPath) -> Option<Evidence> {
        let (text, origin) = self.scenario.as_ref()?;
        let src = text.text.as_deref()?;
        let at = origin.written_at(src, path)?;
        let place = crate::scenario::locate_field(src, &at);
        Some(Evidence::new(&text.file, at.to_string(), place))
    }

    /// `path` in the scenario file (at its nearest parent present).
    fn in_scenario(&self, path: &FieldPath) -> Evidence {
        let Some((text, _)) = &self.scenario else {
            return Evidence::new("", path.to_string(), None);
        };
        let place = text
            .text
            .as_deref()
            .and_then(|src| crate::scenario::locate_field(src, path));
        Evidence::new(&text.file, path.to_string(), place)
    }
}
