//! `berth serve`: wires storage, metadata and the APIs, and serves them on one port.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum_server::Handle;
use berth_api_harbor::HarborState;
use berth_api_oci::OciState;
use berth_core::accounts::{ADMIN, Accounts};
use berth_core::audit::Audit;
use berth_core::settings::Settings;
use berth_core::{Registry, RegistryOptions};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::storage_url;

pub async fn run(config: Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let blobs = storage_url::open(&config.storage_url(), config.storage_fsync)?;
    let meta =
        berth_meta::MetaStore::connect(&config.database_url(), config.database_max_connections)
            .await
            .context("opening the metadata database")?;
    let (audit, audit_writer) = Audit::start(meta.clone());
    let registry = Arc::new(Registry::new(
        meta.clone(),
        blobs.clone(),
        RegistryOptions {
            max_manifest_bytes: config.max_manifest_bytes,
        },
        audit.clone(),
    ));
    let settings = Settings::new(
        meta.clone(),
        audit.clone(),
        &[(
            "token_expiration",
            serde_json::json!(config.token_expiration),
        )],
    )?;
    let accounts = Accounts::new(meta.clone(), audit, settings);
    // Manifests recorded before berth kept artifact facts get them, in the background.
    let backfill = registry.clone();
    tokio::spawn(async move {
        match backfill.backfill_artifacts().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                manifests = n,
                "recorded the artifact facts of older manifests"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "recording the artifact facts of older manifests failed")
            }
        }
        // Quotas of an older database (or any drift) are counted again from the rows.
        match backfill.recount_quotas().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(projects = n, "recounted project quotas"),
            Err(e) => tracing::warn!(error = %e, "recounting project quotas failed"),
        }
    });
    let stop_pulls = Arc::new(tokio::sync::Notify::new());
    let pull_writer = tokio::spawn(write_pulls(registry.clone(), stop_pulls.clone()));
    let generated = accounts
        .bootstrap(config.admin_password.as_ref().map(|s| s.expose()))
        .await
        .context("creating the administrator and the library project")?;
    if let Some(password) = generated {
        // Shown once, on the console only (never through the log).
        eprintln!(
            "berth: created the system administrator \"{ADMIN}\" with the generated password \
             {password} (set BERTH_ADMIN_PASSWORD before the first start to choose it)"
        );
    }
    let key = crate::token_key::load_or_create(&config.token_key_file())?;
    let oci = Arc::new(OciState {
        registry: registry.clone(),
        authorizer: Arc::new(accounts.clone()),
        accounts: accounts.clone(),
        tokens: berth_auth::token::TokenKeys::new(&key).map_err(anyhow::Error::msg)?,
        tls: config.tls_cert.is_some(),
    });
    let artifacts = berth_core::artifacts::Artifacts::new(accounts.clone(), registry.clone());
    let jobs = berth_jobs::Jobs::new(
        meta.clone(),
        artifacts.clone(),
        berth_jobs::kinds::Kinds::default()
            .with(berth_jobs::kinds::GcJob {
                artifacts: artifacts.clone(),
                window: Duration::from_secs(config.gc_time_window_hours * 3600),
                upload_max_age: Duration::from_secs(config.upload_max_age_hours * 3600),
            })
            .with(berth_jobs::kinds::PurgeAuditJob { meta: meta.clone() })
            .with(berth_jobs::kinds::RetentionJob {
                artifacts: artifacts.clone(),
                meta: meta.clone(),
            }),
        berth_jobs::JobOptions {
            workers: config.job_workers.clamp(1, 64),
            lease: Duration::from_secs(config.job_lease_seconds.max(1)),
        },
    );
    let job_loops = jobs.spawn();
    let harbor = Arc::new(HarborState {
        artifacts,
        jobs,
        accounts,
        registry: registry.clone(),
        external_url: config.external_url.clone(),
        tls: config.tls_cert.is_some(),
        csrf: berth_api_harbor::CsrfKey::derive(&key).map_err(anyhow::Error::msg)?,
    });
    let settings = harbor.accounts.settings().clone();
    let app = berth_api_oci::router(oci)
        .merge(berth_api_harbor::router(harbor))
        .layer(axum::middleware::from_fn(move |req, next| {
            berth_api_harbor::read_only::guard(settings.clone(), req, next)
        }))
        .layer(axum::middleware::from_fn(record_peer))
        .layer(TraceLayer::new_for_http());

    let handle = Handle::new();
    tokio::spawn(shutdown_on_signal(
        handle.clone(),
        config.shutdown_grace_seconds,
    ));
    tracing::info!(
        addr = %config.addr,
        storage = blobs.kind(),
        database = ?meta.backend(),
        tls = config.tls_cert.is_some(),
        "berth listening"
    );
    let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .context("loading the TLS certificate and key")?;
            axum_server::bind_rustls(config.addr, tls)
                .handle(handle)
                .serve(service)
                .await?;
        }
        _ => {
            axum_server::bind(config.addr)
                .handle(handle)
                .serve(service)
                .await?;
        }
    }
    // Jobs still running keep their lease until it runs out; another node (or this one,
    // restarted) takes them back then.
    job_loops.shutdown().await;
    // The writer finishes the flush it may be in, writes what is left, and ends.
    stop_pulls.notify_one();
    if tokio::time::timeout(Duration::from_secs(10), pull_writer)
        .await
        .is_err()
    {
        tracing::warn!("the pull count writer did not finish in time");
    }
    // The server dropped every handle of the audit log: its writer flushes and ends.
    if tokio::time::timeout(Duration::from_secs(10), audit_writer)
        .await
        .is_err()
    {
        tracing::warn!("the audit log writer did not finish in time");
    }
    meta.close().await;
    tracing::info!("berth stopped");
    Ok(())
}

/// Writes pull counts and times once a second, and once more when told to stop.
async fn write_pulls(registry: Arc<Registry>, stop: Arc<tokio::sync::Notify>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = tick.tick() => false,
            () = stop.notified() => true,
        };
        if let Err(e) = registry.flush_pulls().await {
            tracing::warn!(error = %e, "writing pull counts failed");
        }
        if stopping {
            return;
        }
    }
}

async fn shutdown_on_signal(handle: Handle<std::net::SocketAddr>, grace_seconds: u64) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
    handle.graceful_shutdown(Some(Duration::from_secs(grace_seconds)));
}

/// Puts the client's address where the login throttle reads it, replacing anything a client
/// sent under that name.
async fn record_peer(
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let headers = req.headers_mut();
    headers.remove(berth_auth::PEER_ADDR_HEADER);
    if let Ok(v) = axum::http::HeaderValue::from_str(&peer.ip().to_string()) {
        headers.insert(berth_auth::PEER_ADDR_HEADER, v);
    }
    next.run(req).await
}
