//! `relance server`: the shared ledger on a PostgreSQL server — what the owner does for the
//! people working in it.

use clap::Subcommand;
use relance_core::{Connection, Result};

#[derive(Subcommand)]
pub enum ServerCmd {
    /// Let a login role of the server work in this shared ledger (the owner's command): it
    /// reads and records, but cannot change the schema, what is append-only or an issued
    /// invoice. The role itself (and its password) is created by the server's administrator.
    Grant {
        /// The role's name on the server.
        #[arg(long)]
        role: String,
    },
}

pub fn run(conn: &mut Connection, cmd: ServerCmd) -> Result<()> {
    match cmd {
        ServerCmd::Grant { role } => {
            relance_core::store::grant(conn, &role)?;
            out!(
                "{role} can now work in this ledger: read, record payments, actions, letters and invoices. \
                 It cannot change the history, an issued invoice or the ledger's structure."
            );
        }
    }
    Ok(())
}
