//! The system configuration: Harbor's `/configurations` keys, read from the metadata
//! database and kept for a few seconds per node (so a change made on another node shows
//! within `FRESH_FOR`, and one made here at once).

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use berth_auth::Identity;
use berth_meta::MetaStore;
use berth_types::settings::{SETTING_KEYS, check_setting, setting_default, setting_key};
use serde_json::Value;

use crate::CoreError;
use crate::audit::{Audit, Operation};
use crate::ttl_cache::FRESH_FOR;

/// One reading of every key.
#[derive(Debug, Clone)]
pub struct Snapshot {
    values: BTreeMap<&'static str, Value>,
}

impl Snapshot {
    pub fn get(&self, name: &str) -> Value {
        self.values
            .get(name)
            .cloned()
            .unwrap_or_else(|| setting_default(name))
    }

    pub fn flag(&self, name: &str) -> bool {
        self.get(name).as_bool().unwrap_or(false)
    }

    pub fn number(&self, name: &str) -> i64 {
        self.get(name).as_i64().unwrap_or(0)
    }

    pub fn text(&self, name: &str) -> String {
        match self.get(name) {
            Value::String(s) => s,
            _ => String::new(),
        }
    }

    /// The prefix of every robot account's name (`robot$`).
    pub fn robot_prefix(&self) -> String {
        self.text("robot_name_prefix")
    }

    pub fn read_only(&self) -> bool {
        self.flag("read_only")
    }

    /// Registry token lifetime in seconds.
    pub fn token_seconds(&self) -> u64 {
        u64::try_from(self.number("token_expiration")).unwrap_or(30) * 60
    }
}

/// A key as `GET /configurations` shows it.
#[derive(Debug, Clone)]
pub struct ShownSetting {
    pub name: &'static str,
    pub value: Value,
    pub editable: bool,
}

type Cached = Option<(Instant, Arc<Snapshot>)>;

/// Bumped by every local change, so a reading that began before one is not cached after it.
type Generation = std::sync::atomic::AtomicU64;

/// The configuration service.
#[derive(Clone)]
pub struct Settings {
    meta: MetaStore,
    /// Values the operator gave at start (environment or file) for keys never set through
    /// the API.
    start_values: Arc<BTreeMap<&'static str, Value>>,
    cached: Arc<RwLock<Cached>>,
    generation: Arc<Generation>,
    audit: Audit,
}

impl Settings {
    /// `start_values` are defaults from the operator's configuration (for instance
    /// `token_expiration` from `BERTH_TOKEN_EXPIRATION`); keys that are not ours are
    /// refused.
    pub fn new(
        meta: MetaStore,
        audit: Audit,
        start_values: &[(&str, Value)],
    ) -> Result<Settings, CoreError> {
        let mut values = BTreeMap::new();
        for (name, value) in start_values {
            let key = setting_key(name)
                .ok_or_else(|| CoreError::Invalid(format!("unknown setting {name}")))?;
            values.insert(
                key.name,
                check_setting(key, value).map_err(CoreError::Invalid)?,
            );
        }
        Ok(Settings {
            meta,
            start_values: Arc::new(values),
            cached: Arc::default(),
            generation: Arc::default(),
            audit,
        })
    }

    /// The current configuration.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>, CoreError> {
        if let Some((at, snap)) = &*self.cached.read().unwrap_or_else(PoisonError::into_inner)
            && at.elapsed() < FRESH_FOR
        {
            return Ok(snap.clone());
        }
        let began = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let mut values = (*self.start_values).clone();
        for (name, text) in self.meta.settings().await? {
            let Some(key) = setting_key(&name) else {
                continue;
            };
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => {
                    values.insert(key.name, v);
                }
                Err(e) => tracing::warn!(setting = %name, error = %e, "ignoring a stored setting"),
            }
        }
        let snap = Arc::new(Snapshot { values });
        let mut cached = self.cached.write().unwrap_or_else(PoisonError::into_inner);
        if self.generation.load(std::sync::atomic::Ordering::SeqCst) == began {
            *cached = Some((Instant::now(), snap.clone()));
        }
        Ok(snap)
    }

    /// Every key but the secrets, for a system administrator.
    pub async fn show(&self, who: &Identity) -> Result<Vec<ShownSetting>, CoreError> {
        require_configuration(who, "read")?;
        let snap = self.snapshot().await?;
        Ok(SETTING_KEYS
            .iter()
            .filter(|k| !k.secret)
            .map(|k| ShownSetting {
                name: k.name,
                value: snap.get(k.name),
                editable: true,
            })
            .collect())
    }

    /// Sets the keys of `changes` that are ours (others are ignored, as Harbor does), all or
    /// none: one invalid value refuses the whole change.
    pub async fn update(
        &self,
        who: &Identity,
        changes: &serde_json::Map<String, Value>,
    ) -> Result<(), CoreError> {
        require_configuration(who, "update")?;
        let current = self.snapshot().await?;
        let mut checked: Vec<(&'static str, Value)> = Vec::new();
        for (name, value) in changes {
            let Some(key) = setting_key(name) else {
                continue;
            };
            checked.push((
                key.name,
                check_setting(key, value).map_err(CoreError::Invalid)?,
            ));
        }
        let after = |name: &str| {
            checked
                .iter()
                .find(|(n, _)| *n == name)
                .map_or_else(|| current.get(name), |(_, v)| v.clone())
        };
        if after("auth_mode") != current.get("auth_mode")
            && self.meta.count_other_users().await? > 0
        {
            return Err(CoreError::Invalid(
                "the auth mode cannot be modified as new users have been inserted into database"
                    .into(),
            ));
        }
        if after("skip_audit_log_database") == Value::Bool(true)
            && after("audit_log_forward_endpoint")
                .as_str()
                .is_none_or(str::is_empty)
        {
            return Err(CoreError::Invalid(
                "skip_audit_log_database needs audit_log_forward_endpoint".into(),
            ));
        }
        if checked.is_empty() {
            return Ok(());
        }
        let rows: Vec<(String, String)> = checked
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.to_string()))
            .collect();
        self.meta.put_settings(&rows).await?;
        {
            let mut cached = self.cached.write().unwrap_or_else(PoisonError::into_inner);
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            *cached = None;
        }
        let names: Vec<&str> = checked.iter().map(|(n, _)| *n).collect();
        self.audit.record(
            who,
            Operation::Update,
            "configuration",
            &names.join(","),
            None,
            true,
        );
        Ok(())
    }
}

/// System administrators, and system robots granted `configuration` `action`.
fn require_configuration(who: &Identity, action: &str) -> Result<(), CoreError> {
    match who {
        Identity::User { sysadmin: true, .. } => Ok(()),
        Identity::Robot { permissions, .. }
            if berth_auth::robot::system_allows(permissions, "configuration", action) =>
        {
            Ok(())
        }
        Identity::User { .. } | Identity::Robot { .. } => Err(CoreError::Forbidden),
        Identity::Anonymous | Identity::Token(_) => Err(CoreError::Unauthenticated),
    }
}
