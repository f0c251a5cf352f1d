//! The `berth` binary: configuration, wiring and the command line.

mod admin;
mod config;
mod gc;
mod logging;
mod serve;
mod storage_url;
mod token_key;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "berth",
    version,
    about = "An OCI registry compatible with Harbor, in one binary"
)]
struct Cli {
    /// TOML configuration file; `BERTH_*` environment variables override it.
    #[arg(long, global = true, env = "BERTH_CONFIG")]
    config: Option<PathBuf>,
    /// Log format.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "BERTH_LOG_FORMAT"
    )]
    log_format: logging::Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the registry, the API and the jobs on one port.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Collect garbage now: delete untagged artifacts and the blobs nothing references
    /// (safe while the server runs).
    Gc(gc::GcArgs),
    /// Operator tasks on the database (a locked-out administrator, say).
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = config::Config::load(cli.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Serve => serve::run(config).await,
            Command::Admin { command } => admin::run(config, command).await,
            Command::Gc(args) => gc::run(config, args).await,
            Command::Migrate => {
                let meta = berth_meta::MetaStore::connect(&config.database_url(), 1).await?;
                meta.close().await;
                Ok(())
            }
        }
    })
}
