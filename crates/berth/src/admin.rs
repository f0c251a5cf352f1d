//! `berth admin`: what an operator needs when locked out, run against the configured
//! database directly (the server may be running).

use std::io::BufRead;

use anyhow::Context;
use berth_core::accounts::Accounts;
use berth_types::Password;
use clap::Subcommand;

use crate::config::Config;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Sets a user's password. The new password is read from `BERTH_NEW_PASSWORD`, or from
    /// the first line of standard input (never from the command line, where `ps` shows it).
    ResetPassword {
        /// The user, e.g. admin.
        username: String,
    },
}

pub async fn run(config: Config, command: AdminCommand) -> anyhow::Result<()> {
    let meta = berth_meta::MetaStore::connect(&config.database_url(), 2)
        .await
        .context("opening the metadata database")?;
    let (audit, writer) = berth_core::audit::Audit::start(meta.clone());
    let settings = berth_core::settings::Settings::new(meta.clone(), audit.clone(), &[])?;
    let accounts = Accounts::new(meta.clone(), audit, settings);
    let result = match command {
        AdminCommand::ResetPassword { username } => {
            let password = match std::env::var("BERTH_NEW_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let password: Password = password
                .parse()
                .map_err(|_| anyhow::anyhow!(berth_types::PASSWORD_POLICY))?;
            let user = meta
                .user_by_name(&username)
                .await?
                .with_context(|| format!("no user named {username}"))?;
            accounts
                .set_password(user.id, password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("berth: the password of {username} is changed");
            Ok(())
        }
    };
    drop(accounts);
    let _ = writer.await;
    meta.close().await;
    result
}
