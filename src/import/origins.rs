//! Where in its file each setting of an imported stage was read: the field path in the
//! file's own terms (`methodSettings."*/*".cachingEnabled`,
//! `Resources.Prod.Properties.MethodSettings[0].CacheTtlInSeconds`), so an audit
//! finding about a setting names the file and field the user has to change, not the
//! scenario's name for it.

use std::collections::BTreeMap;

use crate::gateway::MethodSetting;
use crate::scenario::{FieldPath, Seg};

/// What a file calls each of a method setting's fields (relative to the setting's own
/// entry; `None`: the file has no such field, its entry stands for it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldNames {
    pub caching_enabled: &'static str,
    pub cache_ttl_in_seconds: &'static str,
    pub require_authorization_for_cache_control: Option<&'static str>,
    pub unauthorized_cache_control_header_strategy: Option<&'static str>,
    pub throttling_rate_limit: Option<&'static str>,
    pub throttling_burst_limit: Option<&'static str>,
}

/// A method setting's fields, as the scenario names them.
const SETTING_FIELDS: [&str; 6] = [
    "caching_enabled",
    "cache_ttl_in_seconds",
    "require_authorization_for_cache_control",
    "unauthorized_cache_control_header_strategy",
    "throttling_rate_limit",
    "throttling_burst_limit",
];

/// Per setting, as the scenario's `[stage]` names it (`""` for the stage itself,
/// `cache_cluster_size`, `method_settings."*/*"`, `method_settings."*/*".caching_enabled`):
/// where the file has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(BTreeMap<String, String>);

impl Origins {
    /// Records that the stage itself is at `at`.
    pub(crate) fn stage(&mut self, at: impl Into<String>) {
        self.0.insert(String::new(), at.into());
    }

    /// Records that the stage's `field` (`cache_cluster_enabled`...) is at `at`.
    pub(crate) fn field(&mut self, field: &str, at: impl Into<String>) {
        self.0.insert(field.to_owned(), at.into());
    }

    /// Records that the method setting `key`'s entry is at `entry`, and each field
    /// `setting` gives beneath it (a later entry for the same key, refining it, wins
    /// for the fields it gives).
    pub(crate) fn setting(
        &mut self,
        key: &str,
        entry: &str,
        setting: &MethodSetting,
        names: &FieldNames,
    ) {
        let key_path = FieldPath(vec![
            Seg::Key("method_settings".into()),
            Seg::Key(key.to_owned()),
        ]);
        self.0.insert(key_path.to_string(), entry.to_owned());
        let given = [
            setting.caching_enabled.is_some(),
            setting.cache_ttl_in_seconds.is_some(),
            setting.require_authorization_for_cache_control.is_some(),
            setting.unauthorized_cache_control_header_strategy.is_some(),
            setting.throttling_rate_limit.is_some(),
            setting.throttling_burst_limit.is_some(),
        ];
        let native = [
            Some(names.caching_enabled),
            Some(names.cache_ttl_in_seconds),
            names.require_authorization_for_cache_control,
            names.unauthorized_cache_control_header_strategy,
            names.throttling_rate_limit,
            names.throttling_burst_limit,
        ];
        for ((field, given), name) in SETTING_FIELDS.iter().zip(given).zip(native) {
            if let (true, Some(name)) = (given, name) {
                self.0
                    .insert(key_path.key(field).to_string(), format!("{entry}.{name}"));
            }
        }
    }

    /// Every recorded place in the file.
    pub fn places(&self) -> impl Iterator<Item = &str> {
        self.0.values().map(String::as_str)
    }

    /// Where the file has the setting at `path` (within `[stage]`), or its nearest
    /// recorded parent; `None` when nothing was recorded.
    pub fn of(&self, path: &[Seg]) -> Option<&str> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.0.get(&FieldPath(path[..n].to_vec()).to_string()))
            .map(String::as_str)
    }
}

/// get-stage's names.
pub(crate) const GET_STAGE: FieldNames = FieldNames {
    caching_enabled: "cachingEnabled",
    cache_ttl_in_seconds: "cacheTtlInSeconds",
    require_authorization_for_cache_control: Some("requireAuthorizationForCacheControl"),
    unauthorized_cache_control_header_strategy: Some("unauthorizedCacheControlHeaderStrategy"),
    throttling_rate_limit: Some("throttlingRateLimit"),
    throttling_burst_limit: Some("throttlingBurstLimit"),
};

/// CloudFormation's (and SAM's): it has no per-key invalidation settings.
pub(crate) const CLOUDFORMATION: FieldNames = FieldNames {
    caching_enabled: "CachingEnabled",
    cache_ttl_in_seconds: "CacheTtlInSeconds",
    require_authorization_for_cache_control: None,
    unauthorized_cache_control_header_strategy: None,
    throttling_rate_limit: Some("ThrottlingRateLimit"),
    throttling_burst_limit: Some("ThrottlingBurstLimit"),
};

/// Terraform's `aws_api_gateway_method_settings` `settings[0]`.
pub(crate) const TERRAFORM: FieldNames = FieldNames {
    caching_enabled: "caching_enabled",
    cache_ttl_in_seconds: "cache_ttl_in_seconds",
    require_authorization_for_cache_control: Some("require_authorization_for_cache_control"),
    unauthorized_cache_control_header_strategy: Some("unauthorized_cache_control_header_strategy"),
    throttling_rate_limit: Some("throttling_rate_limit"),
    throttling_burst_limit: Some("throttling_burst_limit"),
};

/// The serverless-api-gateway-caching plugin's (global or per endpoint `caching`).
pub(crate) const SERVERLESS: FieldNames = FieldNames {
    caching_enabled: "enabled",
    cache_ttl_in_seconds: "ttlInSeconds",
    require_authorization_for_cache_control: Some("perKeyInvalidation.requireAuthorization"),
    unauthorized_cache_control_header_strategy: Some(
        "perKeyInvalidation.handleUnauthorizedRequests",
    ),
    throttling_rate_limit: None,
    throttling_burst_limit: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &[&str]) -> Vec<Seg> {
        p.iter().map(|k| Seg::Key((*k).to_owned())).collect()
    }

    #[test]
    fn a_setting_is_found_at_its_field_else_its_entry_else_the_stage() {
        let mut o = Origins::default();
        o.stage("Resources.Prod.Properties");
        o.field(
            "cache_cluster_size",
            "Resources.Prod.Properties.CacheClusterSize",
        );
        let s = MethodSetting {
            caching_enabled: Some(true),
            ..MethodSetting::default()
        };
        o.setting(
            "*/*",
            "Resources.Prod.Properties.MethodSettings[0]",
            &s,
            &CLOUDFORMATION,
        );
        let f = |p: &[&str]| o.of(&path(p)).map(str::to_owned);
        assert_eq!(
            f(&["method_settings", "*/*", "caching_enabled"]).as_deref(),
            Some("Resources.Prod.Properties.MethodSettings[0].CachingEnabled")
        );
        assert_eq!(
            f(&["method_settings", "*/*", "cache_ttl_in_seconds"]).as_deref(),
            Some("Resources.Prod.Properties.MethodSettings[0]")
        );
        assert_eq!(
            f(&["method_settings", "pets/GET", "caching_enabled"]).as_deref(),
            Some("Resources.Prod.Properties")
        );
        assert_eq!(
            f(&["cache_cluster_size"]).as_deref(),
            Some("Resources.Prod.Properties.CacheClusterSize")
        );
        // A later entry refines the fields it gives.
        let later = MethodSetting {
            cache_ttl_in_seconds: Some(5),
            ..MethodSetting::default()
        };
        o.setting(
            "*/*",
            "Resources.Prod.Properties.MethodSettings[2]",
            &later,
            &CLOUDFORMATION,
        );
        assert_eq!(
            o.of(&path(&["method_settings", "*/*", "caching_enabled"])),
            Some("Resources.Prod.Properties.MethodSettings[0].CachingEnabled")
        );
        assert_eq!(
            o.of(&path(&["method_settings", "*/*", "cache_ttl_in_seconds"])),
            Some("Resources.Prod.Properties.MethodSettings[2].CacheTtlInSeconds")
        );
        assert_eq!(Origins::default().of(&path(&["cache_cluster_size"])), None);
    }
}
