//! berth's settings: defaults, then a TOML file, then `BERTH_*` environment variables.
//! Validated once here; nothing below the binary reads the environment.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// A secret: never shown by `Debug`, so it cannot reach a log through the config.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    #[allow(dead_code)] // Read by the access model (next issue).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Every setting, with its default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on (`BERTH_ADDR`).
    pub addr: SocketAddr,
    /// Where the embedded defaults keep their files (`BERTH_DATA_DIR`).
    pub data_dir: PathBuf,
    /// `postgres://...`, or a SQLite file path; default `<data_dir>/berth.db`
    /// (`BERTH_DATABASE_URL`).
    pub database_url: Option<String>,
    /// Connections in the metadata pool (`BERTH_DATABASE_MAX_CONNECTIONS`).
    pub database_max_connections: u32,
    /// A directory, or `s3://BUCKET?endpoint=URL&region=R`; default `<data_dir>/blobs`
    /// (`BERTH_STORAGE_URL`). S3 credentials come from `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`.
    pub storage_url: Option<String>,
    /// Flush blob files to disk before they become visible (filesystem storage).
    pub storage_fsync: bool,
    /// Password of `admin` at first start (`BERTH_ADMIN_PASSWORD`).
    pub admin_password: Option<Secret>,
    /// PEM certificate chain and key for HTTPS (`BERTH_TLS_CERT`, `BERTH_TLS_KEY`).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Largest manifest accepted, in bytes.
    pub max_manifest_bytes: usize,
    /// Seconds to let requests in flight finish on shutdown.
    pub shutdown_grace_seconds: u64,
    /// Lifetime of registry bearer tokens, in minutes (`BERTH_TOKEN_EXPIRATION`).
    pub token_expiration: u64,
    /// The key that signs registry tokens; created at first start. Nodes that share a
    /// database must share this file too. Default `<data_dir>/token.key`
    /// (`BERTH_TOKEN_KEY_FILE`).
    pub token_key_file: Option<PathBuf>,
    /// The URL clients reach berth at (`BERTH_EXTERNAL_URL`, as `https://registry.example`);
    /// default: the host each request names.
    pub external_url: Option<String>,
    /// Garbage collection's grace window in hours: blobs and links touched within it are
    /// never collected (`BERTH_GC_TIME_WINDOW_HOURS`; 0 allowed).
    pub gc_time_window_hours: u64,
    /// Upload sessions untouched for this many hours are dropped by garbage collection
    /// (`BERTH_UPLOAD_MAX_AGE_HOURS`; Distribution's `uploadpurging` age, 168 h).
    pub upload_max_age_hours: u64,
    /// Jobs (GC, purge, retention) this node runs at once (`BERTH_JOB_WORKERS`).
    pub job_workers: usize,
    /// Seconds a node holds a running job without renewing its lease; a job whose node
    /// died runs again (or fails) this long after (`BERTH_JOB_LEASE_SECONDS`).
    pub job_lease_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([0, 0, 0, 0], 5000)),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_max_connections: 16,
            storage_url: None,
            storage_fsync: true,
            admin_password: None,
            tls_cert: None,
            tls_key: None,
            max_manifest_bytes: berth_types::manifest::MAX_MANIFEST_BYTES,
            shutdown_grace_seconds: 30,
            token_expiration: 30,
            token_key_file: None,
            external_url: None,
            gc_time_window_hours: 2,
            upload_max_age_hours: 168,
            job_workers: 4,
            job_lease_seconds: 30,
        }
    }
}

/// Variables that belong to other settings or to other programs.
const NOT_SETTINGS: &[&str] = &["config", "log_format"];

impl Config {
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            anyhow::ensure!(
                file.exists(),
                "configuration file {} not found",
                file.display()
            );
            fig = fig.merge(Toml::file(file));
        }
        fig = fig.merge(Env::prefixed("BERTH_").ignore(NOT_SETTINGS));
        let mut config: Config = fig.extract().context("invalid configuration")?;
        if let Some(url) = &mut config.external_url {
            anyhow::ensure!(
                url.starts_with("http://") || url.starts_with("https://"),
                "external_url must start with http:// or https://"
            );
            *url = url.trim_end_matches('/').to_owned();
        }
        anyhow::ensure!(
            config.tls_cert.is_some() == config.tls_key.is_some(),
            "tls_cert and tls_key must be set together"
        );
        anyhow::ensure!(
            (1..=60 * 24 * 365).contains(&config.token_expiration),
            "token_expiration must be between 1 and 525600 minutes"
        );
        Ok(config)
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| self.data_dir.join("berth.db").display().to_string())
    }

    pub fn token_key_file(&self) -> PathBuf {
        self.token_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("token.key"))
    }

    pub fn storage_url(&self) -> String {
        self.storage_url
            .clone()
            .unwrap_or_else(|| self.data_dir.join("blobs").display().to_string())
    }
}
