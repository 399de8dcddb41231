//! `chathub-server mint-token`: the documented integrator flow over HTTP.

use crate::cli::MintArgs;

pub async fn run(_args: MintArgs) -> anyhow::Result<()> {
    anyhow::bail!("mint-token is not implemented yet")
}
