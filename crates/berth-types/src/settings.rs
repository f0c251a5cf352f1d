//! The system configuration's keys (Harbor's `/configurations` set): their types, defaults
//! and limits, and the check of a value sent for one. Pure: storage and caching live in
//! `berth-core`.

use serde_json::{Value, json};

/// What a key holds.
#[derive(Debug, Clone, Copy)]
pub enum SettingKind {
    Bool,
    /// An integer within the bounds, both included.
    Int {
        min: i64,
        max: i64,
    },
    Text,
    /// One of the listed strings.
    OneOf(&'static [&'static str]),
    /// A JSON object (Harbor's `scan_all_policy`).
    Object,
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct SettingKey {
    pub name: &'static str,
    pub kind: SettingKind,
    /// A password or client secret: stored, never returned.
    pub secret: bool,
}

const fn key(name: &'static str, kind: SettingKind) -> SettingKey {
    SettingKey {
        name,
        kind,
        secret: false,
    }
}

const fn secret(name: &'static str) -> SettingKey {
    SettingKey {
        name,
        kind: SettingKind::Text,
        secret: true,
    }
}

use SettingKind::{Bool, Object, OneOf, Text};

const fn int(min: i64, max: i64) -> SettingKind {
    SettingKind::Int { min, max }
}

/// The largest number Harbor's portal accepts in its numeric fields.
const UI_MAX: i64 = 99_999_999;
const TIB: i64 = 1 << 40;

pub const AUTH_MODES: &[&str] = &["db_auth", "ldap_auth", "oidc_auth", "http_auth", "uaa_auth"];

/// Every key that `GET /configurations` returns and `PUT /configurations` accepts.
pub const SETTING_KEYS: &[SettingKey] = &[
    key("auth_mode", OneOf(AUTH_MODES)),
    key("primary_auth_mode", Bool),
    key("self_registration", Bool),
    key(
        "project_creation_restriction",
        OneOf(&["everyone", "adminonly"]),
    ),
    key("read_only", Bool),
    key("token_expiration", int(1, UI_MAX)),
    key("session_timeout", int(1, UI_MAX)),
    key("robot_token_duration", int(1, UI_MAX)),
    key("robot_name_prefix", Text),
    key("notification_enable", Bool),
    key("quota_per_project_enable", Bool),
    key("storage_per_project", int(-1, 1024 * TIB)),
    key("audit_log_forward_endpoint", Text),
    key("skip_audit_log_database", Bool),
    key("disabled_audit_log_event_types", Text),
    key("scanner_skip_update_pulltime", Bool),
    key("pull_time_update_disable", Bool),
    key("pull_count_update_disable", Bool),
    key("pull_audit_log_disable", Bool),
    key("banner_message", Text),
    key("scan_all_policy", Object),
    key("ldap_url", Text),
    key("ldap_search_dn", Text),
    secret("ldap_search_password"),
    key("ldap_base_dn", Text),
    key("ldap_filter", Text),
    key("ldap_uid", Text),
    key("ldap_scope", int(0, 2)),
    key("ldap_timeout", int(1, UI_MAX)),
    key("ldap_verify_cert", Bool),
    key("ldap_group_base_dn", Text),
    key("ldap_group_search_filter", Text),
    key("ldap_group_attribute_name", Text),
    key("ldap_group_search_scope", int(0, 2)),
    key("ldap_group_admin_dn", Text),
    key("ldap_group_membership_attribute", Text),
    key("ldap_group_attach_parallel", Bool),
    key("oidc_name", Text),
    key("oidc_endpoint", Text),
    key("oidc_client_id", Text),
    secret("oidc_client_secret"),
    key("oidc_scope", Text),
    key("oidc_groups_claim", Text),
    key("oidc_admin_group", Text),
    key("oidc_group_filter", Text),
    key("oidc_user_claim", Text),
    key("oidc_verify_cert", Bool),
    key("oidc_auto_onboard", Bool),
    key("oidc_extra_redirect_parms", Text),
    key("oidc_logout", Bool),
    key("http_authproxy_endpoint", Text),
    key("http_authproxy_tokenreview_endpoint", Text),
    key("http_authproxy_admin_groups", Text),
    key("http_authproxy_admin_usernames", Text),
    key("http_authproxy_verify_cert", Bool),
    key("http_authproxy_skip_search", Bool),
    key("http_authproxy_server_certificate", Text),
    key("uaa_endpoint", Text),
    key("uaa_client_id", Text),
    secret("uaa_client_secret"),
    key("uaa_verify_cert", Bool),
];

/// A key's definition, if it is one of ours.
pub fn setting_key(name: &str) -> Option<&'static SettingKey> {
    SETTING_KEYS.iter().find(|k| k.name == name)
}

/// The value a key has until someone sets it (Harbor's defaults).
pub fn setting_default(name: &str) -> Value {
    match name {
        "auth_mode" => json!("db_auth"),
        "project_creation_restriction" => json!("everyone"),
        "token_expiration" => json!(30),
        "session_timeout" => json!(60),
        "robot_token_duration" => json!(30),
        "robot_name_prefix" => json!("robot$"),
        "storage_per_project" => json!(-1),
        "ldap_uid" => json!("cn"),
        "ldap_scope" | "ldap_group_search_scope" => json!(2),
        "ldap_timeout" => json!(5),
        "ldap_group_attribute_name" => json!("cn"),
        "ldap_group_membership_attribute" => json!("memberof"),
        "oidc_scope" => json!("openid,offline_access"),
        "oidc_extra_redirect_parms" => json!("{}"),
        "scan_all_policy" => json!({"type": "none"}),
        "notification_enable"
        | "quota_per_project_enable"
        | "ldap_verify_cert"
        | "oidc_verify_cert"
        | "http_authproxy_verify_cert" => json!(true),
        _ => match setting_key(name).map(|k| k.kind) {
            Some(Bool) => json!(false),
            Some(SettingKind::Int { min, .. }) => json!(min),
            Some(Object) => json!({}),
            _ => json!(""),
        },
    }
}

/// Checks a value sent for `key` and returns it in its stored form, or says what is wrong.
pub fn check_setting(key: &SettingKey, value: &Value) -> Result<Value, String> {
    let name = key.name;
    let checked = match key.kind {
        Bool => value.as_bool().map(Value::Bool),
        SettingKind::Int { min, max } => {
            let n = value.as_i64().or_else(|| {
                value
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            });
            match n {
                Some(n) if n == -1 && name == "storage_per_project" => Some(json!(n)),
                Some(n) if n < min || n > max || (name == "storage_per_project" && n == 0) => {
                    return Err(format!("{name} must be between {min} and {max}"));
                }
                Some(n) => Some(json!(n)),
                None => None,
            }
        }
        Text => value.as_str().map(|s| Value::String(s.to_owned())),
        OneOf(allowed) => match value.as_str() {
            Some(s) if allowed.contains(&s) => Some(Value::String(s.to_owned())),
            Some(s) => {
                return Err(format!(
                    "{name}: {s:?} is not one of {}",
                    allowed.join(", ")
                ));
            }
            None => None,
        },
        Object => value.is_object().then(|| value.clone()),
    };
    let checked = checked.ok_or_else(|| format!("{name} has the wrong type"))?;
    let refused = match (name, &checked) {
        ("ldap_url", Value::String(url)) => {
            !(url.is_empty() || url.starts_with("ldap://") || url.starts_with("ldaps://"))
        }
        ("oidc_endpoint", Value::String(url)) => {
            !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://"))
        }
        ("oidc_scope", Value::String(scope)) => !scope.split(',').any(|s| s.trim() == "openid"),
        ("robot_name_prefix", Value::String(prefix)) => {
            prefix.is_empty() || prefix.len() > 32 || prefix.chars().any(char::is_whitespace)
        }
        _ => false,
    };
    if refused {
        return Err(match name {
            "ldap_url" => "ldap_url must start with ldap:// or ldaps://".into(),
            "oidc_endpoint" => "oidc_endpoint must be an http(s) URL".into(),
            "oidc_scope" => "oidc_scope must include openid".into(),
            _ => "robot_name_prefix must be 1-32 characters without spaces".into(),
        });
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_types_and_limits() {
        let k = setting_key("token_expiration").unwrap();
        assert_eq!(check_setting(k, &json!(45)).unwrap(), json!(45));
        assert!(check_setting(k, &json!(0)).is_err());
        assert!(check_setting(k, &json!("45")).is_err());
        let q = setting_key("storage_per_project").unwrap();
        assert!(check_setting(q, &json!(-1)).is_ok());
        assert!(check_setting(q, &json!(0)).is_err());
        assert!(check_setting(q, &json!(1025 * TIB)).is_err());
        let r = setting_key("project_creation_restriction").unwrap();
        assert!(check_setting(r, &json!("adminonly")).is_ok());
        assert!(check_setting(r, &json!("nobody")).is_err());
        assert!(check_setting(setting_key("read_only").unwrap(), &json!("true")).is_err());
    }

    #[test]
    fn every_key_has_a_valid_default() {
        for k in SETTING_KEYS {
            let d = setting_default(k.name);
            assert!(check_setting(k, &d).is_ok(), "{}: {d}", k.name);
        }
    }
}
