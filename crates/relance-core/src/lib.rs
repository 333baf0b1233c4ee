//! Relance engine: customers, invoices, payments and (soon) dunning, over one SQLite file.
//! No GUI dependency: the desktop app and the `relance` CLI are thin layers over this crate.

pub mod app;
pub mod customers;
pub mod demo;
pub mod dunning;
pub mod error;
pub mod import;
pub mod invoices;
pub mod journal;
pub mod money;
pub mod reports;
pub mod settings;
pub mod store;
pub mod validate;

pub use error::{ApiError, Error, Lang, Msg, Result, RowError};
pub use money::Currency;

/// The SQLite connection type every engine function takes.
pub use rusqlite::Connection;
