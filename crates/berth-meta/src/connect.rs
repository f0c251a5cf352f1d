use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::MetaError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database holds the metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Handle to the metadata database; cheap to clone.
#[derive(Debug, Clone)]
pub struct MetaStore {
    pub(crate) read: AnyPool,
    pub(crate) write: AnyPool,
    backend: Backend,
}

impl MetaStore {
    /// Connects to `url` (`postgres://...`, `sqlite://PATH`, or a bare file path for
    /// SQLite) and applies pending migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<MetaStore, MetaError> {
        sqlx::any::install_default_drivers();
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = AnyPoolOptions::new()
                .max_connections(max_connections)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            POSTGRES_MIGRATIONS.run(&pool).await?;
            MetaStore {
                read: pool.clone(),
                write: pool,
                backend: Backend::Postgres,
            }
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            let opts = AnyConnectOptions::from_str(&format!("sqlite://{path}?mode=rwc"))?;
            let pool = |n: u32| {
                AnyPoolOptions::new()
                    .max_connections(n)
                    .min_connections(1)
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(60))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            Ok(())
                        })
                    })
                    .connect_with(opts.clone())
            };
            let write = pool(1).await?;
            SQLITE_MIGRATIONS.run(&write).await?;
            // SQLite runs each connection on a thread of its own: more readers than cores
            // only add context switches.
            let readers = std::thread::available_parallelism().map_or(2, |n| n.get() as u32 * 2);
            let read = pool(max_connections.clamp(1, readers)).await?;
            MetaStore {
                read,
                write,
                backend: Backend::Sqlite,
            }
        };
        tracing::info!(backend = ?store.backend, "metadata store ready");
        Ok(store)
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), waiting for another process's writer (`berth gc`, `berth admin`) instead of
    /// failing when a read it began would have to become a write.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, MetaError> {
        Ok(match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), MetaError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Closes both pools, waiting for connections in use.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}
