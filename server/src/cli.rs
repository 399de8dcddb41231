//! Command line: `chathub-server [serve flags]` or `chathub-server mint-token ...`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::compat::Compat;

#[derive(Debug, Parser)]
#[command(
    name = "chathub-server",
    version,
    about = "Reference ChatHub API server (REST + SignalR hub over SQLite)"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walk the documented integrator flow over HTTP and print a validated operator token.
    MintToken(MintArgs),
    /// Create a company with one organization in a database (the API has no endpoint for it).
    AddCompany(AddCompanyArgs),
}

#[derive(Debug, Clone, Args)]
pub struct AddCompanyArgs {
    /// SQLite database file (created if missing).
    #[arg(long, default_value = "./chathub.db")]
    pub db: PathBuf,
    #[arg(long)]
    pub login: String,
    #[arg(long, env = "CHATHUB_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// Display name of the company; default: the login.
    #[arg(long)]
    pub name: Option<String>,
    /// Name of its first organization.
    #[arg(long, default_value = "Support")]
    pub organization: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the real one is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// SQLite database file (created if missing).
    #[arg(long, default_value = "./chathub.db")]
    pub db: PathBuf,
    /// Seed demo data and enable the demo conveniences (dev token endpoint, fixed test token).
    #[arg(long)]
    pub dev: bool,
    /// Build output; `<dist>/operator-chat-panel` is served at `/operator-chat-panel/`.
    #[arg(long, default_value = "./dist")]
    pub dist: PathBuf,
    /// Demo pages served at `/`.
    #[arg(long, default_value = "./www")]
    pub www: PathBuf,
    /// `full`: everything this server offers (announced in negotiate); `documented`: only what the
    /// hosted ChatHub documents, with ASP.NET Core's strict hub binding.
    #[arg(long, value_enum, default_value_t = Compat::Full)]
    pub compat: Compat,
    /// JWT signing secret. Without it a secret is generated once and kept in the database.
    #[arg(long, env = "CHATHUB_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Seconds between hub pings (tests shorten it).
    #[arg(long, default_value_t = 15, hide = true)]
    pub hub_ping_secs: u64,
    /// Seconds of client silence after which a hub connection is dropped.
    #[arg(long, default_value_t = 30, hide = true)]
    pub hub_timeout_secs: u64,
    /// Live hub events buffered per connection; a slower connection catches up from the event log.
    #[arg(long, default_value_t = 1024, hide = true)]
    pub event_buffer: usize,
    /// Seconds the hub's event log is kept for `Resume`. Older events are pruned; a client that
    /// resumes from before them is told to load its chats again.
    #[arg(long, default_value_t = 7 * 24 * 3600)]
    pub event_retention_secs: u64,
    /// Requests per second allowed per token.
    #[arg(long, default_value_t = 100, hide = true)]
    pub rate_limit: u32,
}

#[derive(Debug, Clone, Args)]
pub struct MintArgs {
    /// Base URL of a ChatHub API, e.g. https://chatapi.smsbat.com or http://127.0.0.1:8080
    #[arg(long)]
    pub api: String,
    #[arg(long)]
    pub login: String,
    #[arg(long, env = "CHATHUB_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// Organization id; default: the first one the company has.
    #[arg(long)]
    pub organization: Option<i64>,
    /// Operator id; default: the first active operator of the organization.
    #[arg(long)]
    pub operator: Option<i64>,
    /// Token lifetime in hours (at most 24).
    #[arg(long, default_value_t = 24.0)]
    pub hours: f64,
}
