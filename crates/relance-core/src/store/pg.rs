//! The PostgreSQL engine behind [`super::sql`]: a shared ledger on a server.
//!
//! The domain's SQL is written once for both engines with SQLite's numbered placeholders
//! (`?1`); here they become PostgreSQL's (`$1`). Values cross as the same
//! [`Value`](super::sql::Value)s SQLite uses: a parameter takes the type the server infers for
//! its place (an integer sent where the server expects text is sent as its digits, as SQLite
//! would store it), and a column comes back as an integer, a real, a text, a blob or NULL
//! (booleans as 0 and 1, NUMERIC sums as integers when whole). Errors come back in SQLite's
//! vocabulary (a unique violation is `SQLITE_CONSTRAINT_UNIQUE`, a trigger's refusal
//! `SQLITE_CONSTRAINT_TRIGGER` with its message), so the domain classifies one kind of error.
//!
//! Writers queue as on a SQLite file: a transaction takes one advisory lock for the whole
//! ledger at BEGIN ([`WRITE_LOCK`]), so two people's writes never interleave and a write
//! never fails on a serialization conflict; reads outside a transaction never wait.

use super::sql::{Error, Result, Value};
use crate::error::{ServerFault, TlsRefusal, TlsSetup};
use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql as PgToSql, Type};
use rusqlite::ffi;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

/// The advisory lock every write transaction takes first (the bytes "RLNC", as SQLite's
/// `application_id`): one writer at a time on a ledger.
pub const WRITE_LOCK: i64 = 0x524C_4E43;

/// A session on the server: the client, its prepared statements, and whether a
/// transaction is open.
pub struct Session {
    client: RefCell<postgres::Client>,
    statements: RefCell<HashMap<String, Prepared>>,
    in_transaction: Cell<bool>,
    /// A statement failed in the open transaction and no savepoint undid it: PostgreSQL has
    /// ended the transaction, and its COMMIT would quietly roll back.
    aborted: Cell<bool>,
    /// The role this session logged in as, asked once (it never changes).
    role: std::cell::OnceCell<String>,
}

/// Statements a session keeps prepared; past it, it forgets them all (a query built with
/// its values, such as a page's ids, would otherwise grow the cache without end).
const KEPT_STATEMENTS: usize = 512;

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("in_transaction", &self.in_transaction.get())
            .finish_non_exhaustive()
    }
}

/// A statement prepared on the server, and which of the caller's parameters it takes, in
/// order (numbered from one): SQLite lets a statement leave some of them unused, PostgreSQL
/// cannot type a parameter it never sees, so those are not sent.
#[derive(Clone)]
pub struct Prepared {
    statement: postgres::Statement,
    takes: Arc<Vec<usize>>,
}

/// The rows of one query, read whole (a server round trip), with their columns' names.
pub struct Fetched {
    pub names: Arc<Vec<String>>,
    pub rows: std::vec::IntoIter<Vec<Value>>,
}

impl Session {
    pub fn new(client: postgres::Client) -> Self {
        Session {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
            in_transaction: Cell::new(false),
            aborted: Cell::new(false),
            role: std::cell::OnceCell::new(),
        }
    }

    /// The role this session logged in as (`session_user`), asked of the server once.
    pub fn session_user(&self) -> Result<String> {
        if let Some(role) = self.role.get() {
            return Ok(role.clone());
        }
        let role: String = self
            .client
            .borrow_mut()
            .query_one("SELECT session_user::text", &[])
            .map_err(|e| self.failed(e))?
            .get(0);
        Ok(self.role.get_or_init(|| role).clone())
    }

    pub fn in_transaction(&self) -> bool {
        self.in_transaction.get()
    }

    /// A server error in SQLite's vocabulary, noting that it ended the open transaction.
    fn failed(&self, e: postgres::Error) -> Error {
        if self.in_transaction.get() {
            self.aborted.set(true);
        }
        error(e)
    }

    /// The server's prepared statement for `sql` (kept for the session).
    pub fn prepare(&self, sql: &str) -> Result<Prepared> {
        if let Some(st) = self.statements.borrow().get(sql) {
            return Ok(st.clone());
        }
        let (text, takes) = translate(sql);
        let statement =
            self.client
                .borrow_mut()
                .prepare(&text)
                .map_err(|e| match self.failed(e) {
                    // As SQLite says it: what could not be prepared, in which statement.
                    Error::SqliteFailure(f, Some(m)) if f.code == rusqlite::ErrorCode::Unknown => {
                        Error::SqliteFailure(f, Some(format!("{m} in {sql}")))
                    }
                    other => other,
                })?;
        let prepared = Prepared {
            statement,
            takes: Arc::new(takes),
        };
        let mut kept = self.statements.borrow_mut();
        if kept.len() >= KEPT_STATEMENTS {
            kept.clear();
        }
        kept.insert(sql.to_string(), prepared.clone());
        Ok(prepared)
    }

    pub fn execute(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<usize> {
        let st = self.prepare(sql)?;
        let values = values(params, &st.takes)?;
        let refs: Vec<&(dyn PgToSql + Sync)> =
            values.iter().map(|v| v as &(dyn PgToSql + Sync)).collect();
        let n = self
            .client
            .borrow_mut()
            .execute(&st.statement, &refs)
            .map_err(|e| self.failed(e))?;
        Ok(n as usize)
    }

    pub fn query(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Fetched> {
        let st = self.prepare(sql)?;
        let values = values(params, &st.takes)?;
        let refs: Vec<&(dyn PgToSql + Sync)> =
            values.iter().map(|v| v as &(dyn PgToSql + Sync)).collect();
        let rows = self
            .client
            .borrow_mut()
            .query(&st.statement, &refs)
            .map_err(|e| self.failed(e))?;
        let st = st.statement;
        let names = Arc::new(st.columns().iter().map(|c| c.name().to_string()).collect());
        let rows = rows
            .iter()
            .map(|row| (0..row.len()).map(|i| column(row, i)).collect())
            .collect::<Result<Vec<Vec<Value>>>>()?;
        Ok(Fetched {
            names,
            rows: rows.into_iter(),
        })
    }

    /// The names of a statement's result columns.
    pub fn column_names(&self, sql: &str) -> Result<Vec<String>> {
        Ok(self
            .prepare(sql)?
            .statement
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect())
    }

    /// Runs statements without parameters (a migration, a savepoint). After a schema change
    /// the session's prepared statements are forgotten: they may no longer return the same.
    pub fn batch(&self, sql: &str) -> Result<()> {
        let upper = sql.to_ascii_uppercase();
        if ["CREATE", "ALTER", "DROP"]
            .iter()
            .any(|k| upper.contains(k))
        {
            self.statements.borrow_mut().clear();
        }
        self.client
            .borrow_mut()
            .batch_execute(sql)
            .map_err(|e| self.failed(e))?;
        // Back at a savepoint taken before the failure: the transaction goes on.
        if upper.trim_start().starts_with("ROLLBACK TO") {
            self.aborted.set(false);
        }
        Ok(())
    }

    /// Refuses to open a transaction inside another: PostgreSQL would only warn, and the
    /// inner COMMIT would end the outer one.
    fn none_open(&self) -> Result<()> {
        if self.in_transaction.get() {
            return Err(Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_MISUSE),
                Some("a transaction is already open on this session".into()),
            ));
        }
        Ok(())
    }

    pub fn begin(&self) -> Result<()> {
        self.none_open()?;
        let begun = self.client.borrow_mut().batch_execute(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
        ));
        if let Err(e) = begun {
            // The lock was not had (a timeout, a cancel): leave no half-open transaction.
            let _ = self.client.borrow_mut().batch_execute("ROLLBACK");
            return Err(error(e));
        }
        self.in_transaction.set(true);
        self.aborted.set(false);
        Ok(())
    }

    /// Opens a read-only transaction that sees the ledger as committed at its first read,
    /// without waiting for a writer (what a writer has not committed is not seen): for the
    /// reads of a screen whose statements must agree, where [`Session::begin_snapshot`]
    /// would wait for a long write (an import) to end.
    pub fn begin_read_only(&self) -> Result<()> {
        self.none_open()?;
        self.client
            .borrow_mut()
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .map_err(error)?;
        self.in_transaction.set(true);
        self.aborted.set(false);
        Ok(())
    }

    /// Opens a read-only transaction that sees the ledger at one moment: the writers' lock
    /// is taken (so no Relance write is half-way), the snapshot fixed by a first read, and
    /// the lock given back at once — the writers go on while the reads, however long, see
    /// that moment, writes made outside a transaction included.
    pub fn begin_snapshot(&self) -> Result<()> {
        self.none_open()?;
        // Two round trips: in one, the lock's statement would open the transaction the
        // BEGIN then takes over, too late to choose its isolation.
        let mut client = self.client.borrow_mut();
        let begun = client
            .batch_execute(&format!("SELECT pg_advisory_lock({WRITE_LOCK})"))
            .and_then(|()| {
                client.batch_execute(&format!(
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
                     SELECT 1 FROM relance_schema LIMIT 1;
                     SELECT pg_advisory_unlock({WRITE_LOCK});"
                ))
            });
        drop(client);
        if let Err(e) = begun {
            let _ = self
                .client
                .borrow_mut()
                .batch_execute("ROLLBACK; SELECT pg_advisory_unlock_all();");
            return Err(error(e));
        }
        self.in_transaction.set(true);
        self.aborted.set(false);
        Ok(())
    }

    /// Commits, or refuses when a statement failed since BEGIN (PostgreSQL would roll the
    /// transaction back and say nothing): the caller learns that nothing was written.
    pub fn commit(&self) -> Result<()> {
        if self.aborted.get() {
            self.rollback();
            return Err(Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_ABORT),
                Some("a statement failed in this transaction: nothing was written".into()),
            ));
        }
        // A transaction that wrote something (it was given a transaction id) tells the
        // other sessions on the ledger at its commit (a notification is delivered only if
        // the transaction commits): their windows refresh. One that only read (a start
        // with nothing to migrate or refresh) tells nobody.
        self.client
            .borrow_mut()
            .batch_execute(&format!(
                "SELECT pg_notify('{CHANGES}', '') WHERE txid_current_if_assigned() IS NOT NULL;
                 COMMIT"
            ))
            .map_err(|e| self.failed(e))?;
        self.in_transaction.set(false);
        Ok(())
    }

    /// Whether the session to the server is gone (the server stopped, the network cut).
    pub fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }

    pub fn rollback(&self) {
        let _ = self.client.borrow_mut().batch_execute("ROLLBACK");
        self.in_transaction.set(false);
        self.aborted.set(false);
    }
}

/// The channel every write transaction notifies at its commit.
const CHANGES: &str = "relance_changes";

/// A session of its own that hears the commits of the other sessions on a ledger, so a
/// window can show what someone else just recorded.
pub struct Listener {
    client: postgres::Client,
}

impl Listener {
    /// Connects to the ledger at `address` and listens.
    pub fn start(address: &str) -> crate::error::Result<Listener> {
        let mut client = connect(address, &|k| std::env::var(k).ok())?;
        client
            .batch_execute(&format!("LISTEN {CHANGES}"))
            .map_err(|e| crate::error::Error::Db(error(e)))?;
        Ok(Listener { client })
    }

    /// Waits up to `timeout` for commits; true when a session other than `own` (a window's
    /// own session, by its server process id) committed. Every notification that came
    /// meanwhile is taken. An error: the server is gone (the caller listens again later).
    pub fn wait(&mut self, timeout: std::time::Duration, own: Option<i32>) -> Result<bool> {
        use postgres::fallible_iterator::FallibleIterator;
        let mut others = false;
        let first = self
            .client
            .notifications()
            .timeout_iter(timeout)
            .next()
            .map_err(error)?;
        if let Some(n) = first {
            others |= Some(n.process_id()) != own;
            // And whatever else is already there, without waiting again.
            let mut notes = self.client.notifications();
            let mut pending = notes.iter();
            while let Some(n) = pending.next().map_err(error)? {
                others |= Some(n.process_id()) != own;
            }
        }
        if self.client.is_closed() {
            return Err(Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_IOERR),
                Some("the server closed the session".into()),
            ));
        }
        Ok(others)
    }
}

/// Whether a ledger address names a PostgreSQL server rather than a file.
pub fn is_server_address(address: &str) -> bool {
    address.starts_with("postgres://") || address.starts_with("postgresql://")
}

/// How a session to the server is protected, as libpq's `sslmode` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it, its certificate not checked (libpq's default; `allow`
    /// is read as this too).
    Prefer,
    /// TLS or no session; the certificate checked only when a root certificate is given.
    Require,
    /// TLS, the certificate signed by the root certificate.
    VerifyCa,
    /// TLS, the certificate signed by the root certificate and naming the host addressed.
    VerifyFull,
}

/// The TLS half of a server address: the mode and the files it names (`sslrootcert`,
/// `sslcert`, `sslkey` in the address, else `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`, else
/// libpq's files in `~/.postgresql/` when they exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub mode: SslMode,
    /// The certificate authority's file, or `system` for the system's trusted authorities.
    pub root_cert: Option<String>,
    /// A client certificate and its key, for a server that asks for one.
    pub cert: Option<(String, String)>,
}

/// What [`config`] reads from an address.
#[derive(Debug)]
pub struct Target {
    pub config: postgres::Config,
    pub tls: Tls,
}

/// Takes the TLS parameters out of a URL's query (the driver knows only `disable`,
/// `prefer` and `require`), leaving the rest for the driver.
fn split_tls(address: &str) -> (String, Vec<(String, String)>) {
    let Some((base, query)) = address.split_once('?') else {
        return (address.to_string(), Vec::new());
    };
    let mut kept = Vec::new();
    let mut tls = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "sslmode" | "sslrootcert" | "sslcert" | "sslkey" => {
                tls.push((k.to_string(), percent_decoded(v)))
            }
            _ => kept.push(pair),
        }
    }
    let address = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (address, tls)
}

fn percent_decoded(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap() * 16 + hex(l).unwrap()) as u8);
                i += 3;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads a server address as libpq would, the parts it leaves out taken from `PGHOST`,
/// `PGPORT`, `PGUSER` and `PGDATABASE` (then localhost, 5432, the system account, the user's
/// name), and its TLS from `sslmode` (else `PGSSLMODE`, else `prefer`) and the files it
/// names. An address that carries a password is refused: the password comes from
/// `PGPASSWORD`, the desktop's keyring ([`keyring`]) or a `.pgpass` file (`PGPASSFILE`, else
/// `~/.pgpass`), never from a command line. `env` reads the environment (tests hand their own).
pub fn config(
    address: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> std::result::Result<Target, ServerFault> {
    let (address, tls_params) = split_tls(address);
    let mut config: postgres::Config = address
        .parse()
        .map_err(|e: postgres::Error| ServerFault::BadAddress(e.to_string()))?;
    if config.get_password().is_some() {
        return Err(ServerFault::PasswordInAddress);
    }
    let env = |k: &str| env(k).filter(|v| !v.is_empty());
    let param = |name: &str, var: &str| {
        tls_params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| env(var))
    };
    let asked_mode = param("sslmode", "PGSSLMODE");
    let mode = match asked_mode.as_deref() {
        // As libpq 16: the system's authorities without a mode said mean verify-full.
        None if param("sslrootcert", "PGSSLROOTCERT").as_deref() == Some("system") => {
            SslMode::VerifyFull
        }
        None | Some("prefer") | Some("allow") => SslMode::Prefer,
        Some("disable") => SslMode::Disable,
        Some("require") => SslMode::Require,
        Some("verify-ca") => SslMode::VerifyCa,
        Some("verify-full") => SslMode::VerifyFull,
        Some(other) => {
            return Err(ServerFault::BadAddress(format!(
                "sslmode={other}: disable, prefer, require, verify-ca or verify-full"
            )))
        }
    };
    // libpq's own files, used when they exist and nothing else is named.
    let home_file = |name: &str| {
        env("HOME")
            .map(|h| format!("{h}/.postgresql/{name}"))
            .filter(|f| std::path::Path::new(f).exists())
    };
    let root_cert = param("sslrootcert", "PGSSLROOTCERT").or_else(|| home_file("root.crt"));
    if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) && root_cert.is_none() {
        return Err(ServerFault::TlsSetup(TlsSetup::NoRootCert));
    }
    // As libpq 16: the system's authorities sign certificates for anyone's names, so they
    // prove something only when the name is checked too.
    if root_cert.as_deref() == Some("system") && mode != SslMode::VerifyFull {
        return Err(ServerFault::TlsSetup(TlsSetup::SystemNeedsFull));
    }
    let cert = match (
        param("sslcert", "PGSSLCERT").or_else(|| home_file("postgresql.crt")),
        param("sslkey", "PGSSLKEY").or_else(|| home_file("postgresql.key")),
    ) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        (Some(c), None) => return Err(ServerFault::TlsSetup(TlsSetup::Incomplete(c))),
        (None, Some(k)) => return Err(ServerFault::TlsSetup(TlsSetup::Incomplete(k))),
    };
    config.ssl_mode(match mode {
        SslMode::Disable => postgres::config::SslMode::Disable,
        SslMode::Prefer => postgres::config::SslMode::Prefer,
        _ => postgres::config::SslMode::Require,
    });
    // A server that does not answer is said so within seconds, not after TCP's minutes.
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    if config.get_hosts().is_empty() {
        config.host(&env("PGHOST").unwrap_or_else(|| "localhost".into()));
    }
    if config.get_ports().is_empty() {
        let port = env("PGPORT").unwrap_or_else(|| "5432".into());
        let port = port
            .parse()
            .map_err(|_| ServerFault::BadAddress(format!("PGPORT={port}")))?;
        config.port(port);
    }
    if config.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(|| env("USER"))
            .or_else(|| env("LOGNAME"))
            .ok_or_else(|| ServerFault::BadAddress("no user name".into()))?;
        config.user(&user);
    }
    if config.get_dbname().is_none() {
        let db = env("PGDATABASE").unwrap_or_else(|| config.get_user().unwrap_or("").to_string());
        config.dbname(&db);
    }
    let host = match &config.get_hosts()[0] {
        postgres::config::Host::Tcp(h) => h.clone(),
        #[cfg(unix)]
        postgres::config::Host::Unix(p) => p.display().to_string(),
    };
    let port = config.get_ports()[0].to_string();
    let user = config.get_user().unwrap_or("").to_string();
    let db = config.get_dbname().unwrap_or("").to_string();
    let password = env("PGPASSWORD").or_else(|| {
        let file = env("PGPASSFILE").or_else(|| env("HOME").map(|h| format!("{h}/.pgpass")))?;
        // As libpq: a password file others can read is not used.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).ok()?.permissions().mode();
            if mode & 0o077 != 0 {
                return None;
            }
        }
        let text = std::fs::read_to_string(file).ok()?;
        pgpass(&text, &host, &port, &db, &user)
    });
    if let Some(p) = password {
        config.password(p);
    }
    config.application_name("Relance");
    Ok(Target {
        config,
        tls: Tls {
            mode,
            root_cert,
            cert,
        },
    })
}

/// The TLS client a [`Tls`] asks for: the certificate checked against the root certificate
/// when there is one (`require` with one is `verify-ca`, as in libpq), the host's name
/// checked by `verify-full` only.
/// The first reason OpenSSL gave for refusing the server's certificate (its
/// `X509_V_ERR_*` code), kept by the verification callback for the message.
type Refusal = std::sync::Arc<std::sync::Mutex<Option<i32>>>;

pub fn connector(
    tls: &Tls,
) -> std::result::Result<(postgres_openssl::MakeTlsConnector, Refusal), ServerFault> {
    use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};
    let setup =
        |e: openssl::error::ErrorStack| ServerFault::TlsSetup(TlsSetup::Library(e.to_string()));
    let unreadable = |file: &str, e: openssl::error::ErrorStack| {
        ServerFault::TlsSetup(TlsSetup::Unreadable(file.to_string(), e.to_string()))
    };
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(setup)?;
    let check = tls.mode != SslMode::Disable && tls.mode != SslMode::Prefer;
    let refusal = Refusal::default();
    match (&tls.root_cert, check) {
        (Some(root), true) if root == "system" => {
            builder.set_default_verify_paths().map_err(setup)?
        }
        (Some(root), true) => {
            if !std::path::Path::new(root).is_file() {
                return Err(ServerFault::TlsSetup(TlsSetup::Missing(root.clone())));
            }
            builder.set_ca_file(root).map_err(|e| unreadable(root, e))?
        }
        _ => builder.set_verify(SslVerifyMode::NONE),
    }
    if check && tls.root_cert.is_some() {
        let seen = refusal.clone();
        builder.set_verify_callback(SslVerifyMode::PEER, move |ok, ctx| {
            if !ok {
                seen.lock().unwrap().get_or_insert(ctx.error().as_raw());
            }
            ok
        });
    }
    if let Some((cert, key)) = tls.cert.as_ref().filter(|_| tls.mode != SslMode::Disable) {
        for file in [cert, key] {
            if !std::path::Path::new(file).is_file() {
                return Err(ServerFault::TlsSetup(TlsSetup::Missing(file.clone())));
            }
        }
        // As libpq: a private key others can read is refused (u=rw at most, or u=rw,g=r when
        // root owns it).
        #[cfg(unix)]
        {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            if let Ok(m) = std::fs::metadata(key) {
                let mode = m.permissions().mode();
                let open = if m.uid() == 0 {
                    mode & 0o037
                } else {
                    mode & 0o077
                };
                if open != 0 {
                    return Err(ServerFault::TlsSetup(TlsSetup::KeyReadable(key.clone())));
                }
            }
        }
        builder
            .set_certificate_chain_file(cert)
            .map_err(|e| unreadable(cert, e))?;
        builder
            .set_private_key_file(key, SslFiletype::PEM)
            .map_err(|e| unreadable(key, e))?;
    }
    let mut connector = postgres_openssl::MakeTlsConnector::new(builder.build());
    if tls.mode != SslMode::VerifyFull {
        connector.set_callback(|config, _| {
            config.set_verify_hostname(false);
            Ok(())
        });
    }
    Ok((connector, refusal))
}

/// Why a handshake failed, from the certificate's verification when it said, else the
/// driver's words.
fn tls_refusal(code: Option<i32>, host: &str, why: String) -> TlsRefusal {
    // OpenSSL's X509_V_ERR_* codes (x509_vfy.h).
    match code {
        Some(2 | 7 | 18 | 19 | 20 | 21) => TlsRefusal::NotSigned,
        Some(9 | 10) => TlsRefusal::Expired,
        Some(62 | 64) => TlsRefusal::WrongName(host.to_string()),
        _ if why.contains("does not support TLS") => TlsRefusal::NoTls,
        _ => TlsRefusal::Other(why),
    }
}

/// The password the desktop's keyring (the Secret Service: GNOME Keyring, KWallet) keeps for
/// a role on a server, asked through libsecret's `secret-tool`. The user stores it once:
/// `secret-tool store --label "Relance" application relance host HOST port PORT user ROLE`
/// (one password per role and server, as PostgreSQL keeps it, whatever the database).
/// Nothing when there is no session bus, no such command or no such item; given up after
/// 5 seconds (a keyring waiting to be unlocked must not hold a command forever).
fn keyring(
    host: &str,
    port: &str,
    user: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    use std::process::{Command, Stdio};
    env("DBUS_SESSION_BUS_ADDRESS")?;
    let mut child = Command::new("secret-tool")
        .args([
            "lookup",
            "--",
            "application",
            "relance",
            "host",
            host,
            "port",
            port,
            "user",
            user,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut out).ok()?;
    (status.success() && !out.is_empty()).then_some(out)
}

/// The password a `.pgpass` file gives for a server, port, database and user: the first line
/// `host:port:database:user:password` whose fields match (`*` matches anything; `\:` and
/// `\\` are a colon and a backslash), as libpq reads it. Comments start with `#`.
pub fn pgpass(text: &str, host: &str, port: &str, db: &str, user: &str) -> Option<String> {
    text.lines().find_map(|line| {
        if line.trim_start().starts_with('#') {
            return None;
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => field.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
                // The password ends at the next unescaped colon.
                ':' => break,
                _ => field.push(c),
            }
        }
        fields.push(field);
        let [h, p, d, u, password] = <[String; 5]>::try_from(fields).ok()?;
        let fits = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        let host_fits = fits(&h, host) || (h == "localhost" && host.starts_with('/'));
        (host_fits && fits(&p, port) && fits(&d, db) && fits(&u, user)).then_some(password)
    })
}

/// Opens a session on the server the address names (see [`config`]). When the server asks a
/// password that neither `PGPASSWORD` nor `.pgpass` gave, the desktop's keyring is asked
/// ([`keyring`]) — only then, so a server that asks none, or one away, never wakes it.
pub fn connect(
    address: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> crate::error::Result<postgres::Client> {
    let target = config(address, env).map_err(crate::error::Error::Server)?;
    let host = match target.config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => String::new(),
    };
    let port = target.config.get_ports().first().copied().unwrap_or(5432);
    let user = target.config.get_user().unwrap_or_default().to_string();
    let attempt = |config: &postgres::Config| -> crate::error::Result<postgres::Client> {
        let (connector, refusal) = connector(&target.tls).map_err(crate::error::Error::Server)?;
        config
            .connect(connector)
            .map_err(|e| explained(&e, config, &refusal, &host))
    };
    // Every statement is prepared once per session and kept (`Session::prepare`); after five
    // runs PostgreSQL may plan it once for any parameters (a generic plan), guessing a third
    // of the rows for `date > $1` or `LIMIT $4`. Those guesses chose a table walk where an
    // index gives the one row asked: whether a settlement is dated after today (every
    // Invoices page: 6-8 ms at 100,000 invoices, 65 ms at a million), the first page of the
    // open invoices (2 ms for the first five reads, 6.5 ms after), the largest open balance
    // (121 ms at a million). Each run is planned with its own values instead; the bulk
    // writes, whose plans do not depend on them, let them be planned once within their
    // transaction (`Connection::generic_plans`). Set once the session is open, not as a
    // startup option, which a connection pooler (PgBouncer) may refuse.
    // And no JIT compilation: it starts above a cost the planner's guesses reach for reads
    // that take a tenth of a millisecond (the credits waiting for a decision, guessed a
    // quarter of the statement lines: 12 ms compiling a 0.1 ms read at a million
    // invoices). The screens' reads walk indexes; the few whole-ledger reads (a rebuild,
    // a check) are not worth a compilation's risk either.
    let custom_plans = |mut client: postgres::Client| -> crate::error::Result<postgres::Client> {
        client
            .batch_execute("SET plan_cache_mode = force_custom_plan; SET jit = off")
            .map_err(|e| explained(&e, &target.config, &Refusal::default(), &host))?;
        Ok(client)
    };
    let session = match attempt(&target.config) {
        Err(crate::error::Error::Server(ServerFault::NoPassword(who))) => {
            match keyring(&host, &port.to_string(), &user, env) {
                Some(password) => {
                    let mut config = target.config.clone();
                    config.password(password);
                    attempt(&config)
                }
                None => Err(crate::error::Error::Server(ServerFault::NoPassword(who))),
            }
        }
        other => other,
    };
    session.and_then(custom_plans)
}

/// A session the server or the TLS library refused, in the user's terms.
fn explained(
    e: &postgres::Error,
    config: &postgres::Config,
    refusal: &Refusal,
    host: &str,
) -> crate::error::Error {
    // A handshake that failed (a certificate not trusted, a name that does not match, a
    // server without TLS) is said as such, not as a server that does not answer; the
    // deepest cause is the one that says why.
    let tls = std::iter::successors(std::error::Error::source(e), |s| s.source())
        .any(|s| s.is::<openssl::ssl::Error>() || s.is::<openssl::error::ErrorStack>())
        || e.to_string().contains("TLS");
    let why = std::iter::successors(Some(e as &dyn std::error::Error), |s| s.source())
        .map(|s| s.to_string())
        .last()
        .unwrap_or_default();
    let who = format!(
        "{}@{host}:{}",
        config.get_user().unwrap_or_default(),
        config.get_ports().first().copied().unwrap_or(5432)
    );
    let login_refused = matches!(e.code().map(|c| c.code()), Some("28P01") | Some("28000"));
    crate::error::Error::Server(if tls {
        ServerFault::TlsRefused(tls_refusal(*refusal.lock().unwrap(), host, why))
    } else if config.get_password().is_none() && why.contains("password missing") {
        ServerFault::NoPassword(who)
    } else if login_refused {
        ServerFault::LoginRefused(who, why)
    } else {
        ServerFault::Unreachable(e.to_string())
    })
}

/// A query as PostgreSQL reads it: `LIKE` and `COLLATE BINARY` as SQLite means them, SQLite's planner hints dropped, as PostgreSQL's planner
/// chooses indexes and join order itself (`INDEXED BY name` and `NOT INDEXED` go; `CROSS JOIN t ON …`, which
/// the domain writes only to make SQLite keep the left table outside, is a plain join), and
/// the placeholders numbered its way.
pub fn translate(sql: &str) -> (String, Vec<usize>) {
    // SQLite's LIKE ignores the case of ASCII letters only, whatever the operand's
    // collation: PostgreSQL's ILIKE under the "C" collation (which also lets it match a
    // pattern on a nocase column, as PostgreSQL 15 cannot under a nondeterministic one).
    // The domain writes LIKE in capitals between spaces.
    let mut sql = sql
        .replace("CROSS JOIN", "JOIN")
        .replace(" NOT INDEXED", "")
        .replace(" LIKE ", " COLLATE \"C\" ILIKE ")
        // Byte order (SQLite's BINARY collation, Rust's order of strings): "C" on UTF-8.
        .replace(" COLLATE BINARY", " COLLATE \"C\"");
    while let Some(at) = sql.find("INDEXED BY ") {
        let name_end = sql[at + 11..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(sql.len(), |n| at + 11 + n);
        sql.replace_range(at..name_end, "");
    }
    placeholders(&sql)
}

/// SQLite's placeholders (`?1`, or `?` numbered in order) as PostgreSQL's (`$1`), outside
/// quoted strings, quoted names and comments, numbered from 1 without gaps; with the
/// caller's number of each in order (see [`Prepared`]).
pub fn placeholders(sql: &str) -> (String, Vec<usize>) {
    let mut parts: Vec<(String, usize)> = Vec::new();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                out.push(c);
                let mut last = ' ';
                for d in chars.by_ref() {
                    out.push(d);
                    if last == '*' && d == '/' {
                        break;
                    }
                    last = d;
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = if digits.is_empty() {
                    next += 1;
                    next
                } else {
                    let n: usize = digits.parse().unwrap_or(0);
                    next = next.max(n);
                    n
                };
                parts.push((std::mem::take(&mut out), n));
            }
            _ => out.push(c),
        }
    }
    let mut takes: Vec<usize> = parts.iter().map(|(_, n)| *n).collect();
    takes.sort_unstable();
    takes.dedup();
    let mut text = String::with_capacity(sql.len() + 8);
    for (before, n) in parts {
        text.push_str(&before);
        let at = takes.binary_search(&n).unwrap_or(0) + 1;
        text.push('$');
        text.push_str(&at.to_string());
    }
    text.push_str(&out);
    (text, takes)
}

/// A parameter as the server receives it: written in the type the server inferred.
#[derive(Debug)]
struct Param(Value);

/// The parameters a statement takes (`takes`, numbered from 1), as values to send.
fn values(params: &[&dyn rusqlite::ToSql], takes: &[usize]) -> Result<Vec<Param>> {
    takes
        .iter()
        .map(|&n| {
            let p = n
                .checked_sub(1)
                .and_then(|i| params.get(i))
                .ok_or(Error::InvalidParameterCount(n, params.len()))?;
            let out = p.to_sql()?;
            let value = match out {
                rusqlite::types::ToSqlOutput::Borrowed(v) => owned(v),
                rusqlite::types::ToSqlOutput::Owned(v) => v,
                _ => {
                    return Err(Error::ToSqlConversionFailure(
                        "a parameter kind PostgreSQL does not take".into(),
                    ))
                }
            };
            Ok(Param(value))
        })
        .collect()
}

fn owned(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl PgToSql for Param {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        let text_like = [
            Type::TEXT,
            Type::VARCHAR,
            Type::BPCHAR,
            Type::NAME,
            Type::UNKNOWN,
        ];
        match &self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::NUMERIC => Numeric(*i).to_sql(ty, out),
                _ if text_like.contains(ty) => i.to_string().as_str().to_sql(ty, out),
                _ => Err(format!("an integer where the server expects {ty}").into()),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ if text_like.contains(ty) => f.to_string().as_str().to_sql(ty, out),
                _ => Err(format!("a real number where the server expects {ty}").into()),
            },
            Value::Text(s) => match *ty {
                Type::INT8 => s.trim().parse::<i64>()?.to_sql(ty, out),
                Type::INT4 => s.trim().parse::<i32>()?.to_sql(ty, out),
                _ if text_like.contains(ty) => s.as_str().to_sql(ty, out),
                _ => Err(format!("a text where the server expects {ty}").into()),
            },
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// A whole number as PostgreSQL's NUMERIC (a parameter compared with a sum).
#[derive(Debug)]
struct Numeric(i64);

impl PgToSql for Numeric {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        use bytes::BufMut;
        // Base-10000 digits, most significant first.
        let mut n = self.0.unsigned_abs();
        let mut digits = Vec::new();
        while n > 0 {
            digits.push((n % 10_000) as i16);
            n /= 10_000;
        }
        digits.reverse();
        out.put_i16(digits.len() as i16);
        out.put_i16(digits.len() as i16 - 1);
        out.put_u16(if self.0 < 0 { 0x4000 } else { 0 });
        out.put_u16(0);
        for d in digits {
            out.put_i16(d);
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }

    postgres::types::to_sql_checked!();
}

/// A NUMERIC column read as SQLite would hold it: an integer when whole, else a real.
struct NumericValue(Value);

impl<'a> FromSql<'a> for NumericValue {
    fn from_sql(_: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        let word = |i: usize| -> std::result::Result<i16, BoxError> {
            raw.get(i..i + 2)
                .map(|b| i16::from_be_bytes([b[0], b[1]]))
                .ok_or_else(|| "a short NUMERIC".into())
        };
        let ndigits = word(0)? as usize;
        let weight = word(2)? as i32;
        let sign = word(4)? as u16;
        if sign == 0xC000 {
            return Ok(NumericValue(Value::Real(f64::NAN)));
        }
        let mut whole: i128 = 0;
        let mut fraction = 0f64;
        for k in 0..ndigits {
            let d = word(8 + 2 * k)? as i128;
            let power = weight - k as i32;
            if power >= 0 {
                whole += d * 10_000i128.pow(power as u32);
            } else {
                fraction += d as f64 * 10_000f64.powi(power);
            }
        }
        let negative = sign == 0x4000;
        if fraction == 0.0 {
            let n = if negative { -whole } else { whole };
            // A whole sum beyond 64 bits is SQLite's "integer overflow" (see `column`).
            return i64::try_from(n)
                .map(|i| NumericValue(Value::Integer(i)))
                .map_err(|_| OVERFLOW.into());
        }
        let f = whole as f64 + fraction;
        Ok(NumericValue(Value::Real(if negative { -f } else { f })))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

const OVERFLOW: &str = "integer overflow";

/// One column of a row as a SQLite value.
fn column(row: &postgres::Row, i: usize) -> Result<Value> {
    let ty = row.columns()[i].type_().clone();
    let conv = |e: postgres::Error| {
        Error::FromSqlConversionFailure(i, rusqlite::types::Type::Null, Box::new(e))
    };
    let value = match ty {
        Type::INT8 => row
            .try_get::<_, Option<i64>>(i)
            .map_err(conv)?
            .map(Value::Integer),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)
            .map_err(conv)?
            .map(|v| Value::Integer(v.into())),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)
            .map_err(conv)?
            .map(|v| Value::Integer(v.into())),
        Type::OID => row
            .try_get::<_, Option<u32>>(i)
            .map_err(conv)?
            .map(|v| Value::Integer(v.into())),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)
            .map_err(conv)?
            .map(|v| Value::Integer(v.into())),
        Type::FLOAT8 => row
            .try_get::<_, Option<f64>>(i)
            .map_err(conv)?
            .map(Value::Real),
        Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(i)
            .map_err(conv)?
            .map(|v| Value::Real(v.into())),
        Type::NUMERIC => row
            .try_get::<_, Option<NumericValue>>(i)
            .map_err(|e| {
                // As SQLite stops a SUM that leaves 64 bits.
                if std::error::Error::source(&e).is_some_and(|s| s.to_string() == OVERFLOW) {
                    Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_ERROR), Some(OVERFLOW.into()))
                } else {
                    conv(e)
                }
            })?
            .map(|v| v.0),
        Type::BYTEA => row
            .try_get::<_, Option<Vec<u8>>>(i)
            .map_err(conv)?
            .map(Value::Blob),
        _ => row
            .try_get::<_, Option<String>>(i)
            .map_err(conv)?
            .map(Value::Text),
    };
    Ok(value.unwrap_or(Value::Null))
}

/// A server error in SQLite's vocabulary (see the module's documentation).
pub fn error(e: postgres::Error) -> Error {
    let Some(db) = e.as_db_error() else {
        // No answer from the server: it is unreachable or the session was cut.
        let code = if e.is_closed() {
            ffi::SQLITE_IOERR
        } else {
            ffi::SQLITE_CANTOPEN
        };
        return Error::SqliteFailure(ffi::Error::new(code), Some(e.to_string()));
    };
    let state = db.code().code();
    let message = db.message().to_string();
    let code = match state {
        "23505" => ffi::SQLITE_CONSTRAINT_UNIQUE,
        "23503" => ffi::SQLITE_CONSTRAINT_FOREIGNKEY,
        "23514" => ffi::SQLITE_CONSTRAINT_CHECK,
        "23502" => ffi::SQLITE_CONSTRAINT_NOTNULL,
        "P0001" => ffi::SQLITE_CONSTRAINT_TRIGGER,
        "40001" | "40P01" => ffi::SQLITE_BUSY,
        // (a wait for a lock that ran out: busy still, told apart from a deadlock)
        "55P03" => ffi::SQLITE_BUSY_TIMEOUT,
        "53100" => ffi::SQLITE_FULL,
        "25006" => ffi::SQLITE_READONLY,
        // Not the file's read-only: the role lacks the right (told as such, in its words).
        "42501" => ffi::SQLITE_PERM,
        "22003" => {
            return Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_ERROR),
                Some("integer overflow".into()),
            )
        }
        s if s.starts_with("08") || s.starts_with("57P") => ffi::SQLITE_IOERR,
        _ => ffi::SQLITE_ERROR,
    };
    Error::SqliteFailure(ffi::Error::new(code), Some(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_outside_quotes_and_comments() {
        let text = |sql: &str| placeholders(sql).0;
        assert_eq!(
            text("SELECT a FROM t WHERE b = ?1 AND c = ?2 OR d = ?1"),
            "SELECT a FROM t WHERE b = $1 AND c = $2 OR d = $1"
        );
        assert_eq!(text("VALUES (?, ?, ?)"), "VALUES ($1, $2, $3)");
        assert_eq!(
            text("SELECT '?1', \"?\" -- ?3\n, ?1"),
            "SELECT '?1', \"?\" -- ?3\n, $1"
        );
        // Parameters the statement leaves unused are not sent: ?2 to ?5 here.
        assert_eq!(
            placeholders("WHERE a LIKE ?1 AND b = ?6 LIMIT ?1"),
            (
                "WHERE a LIKE $1 AND b = $2 LIMIT $1".to_string(),
                vec![1, 6]
            )
        );
        assert_eq!(
            translate("SELECT 1 FROM journal u INDEXED BY journal_undone\n WHERE u.id = ?1").0,
            "SELECT 1 FROM journal u \n WHERE u.id = $1"
        );
        assert_eq!(
            translate("FROM invoices NOT INDEXED WHERE currency = ?1").0,
            "FROM invoices WHERE currency = $1"
        );
        assert_eq!(
            translate("FROM invoices i CROSS JOIN customers c ON c.id = i.customer_id").0,
            "FROM invoices i JOIN customers c ON c.id = i.customer_id"
        );
        assert_eq!(
            placeholders("SELECT /* it's ?2 */ ?1").0,
            "SELECT /* it's ?2 */ $1"
        );
        assert_eq!(
            translate("WHERE a LIKE ?1").0,
            "WHERE a COLLATE \"C\" ILIKE $1"
        );
        assert_eq!(
            translate("ORDER BY c.name COLLATE BINARY, c.id").0,
            "ORDER BY c.name COLLATE \"C\", c.id"
        );
    }

    #[test]
    fn a_password_is_never_read_from_the_address() {
        let none = |_: &str| None;
        assert_eq!(
            config("postgres://marie:secret@db.example/relance", &none).unwrap_err(),
            ServerFault::PasswordInAddress
        );
        assert!(matches!(
            config("postgres://db.example:notaport/relance", &none).unwrap_err(),
            ServerFault::BadAddress(_)
        ));
        let env = |k: &str| match k {
            "PGPASSWORD" => Some("from-env".to_string()),
            "USER" => Some("marie".to_string()),
            _ => None,
        };
        let c = config("postgres://db.example/relance", &env)
            .unwrap()
            .config;
        assert_eq!(c.get_user(), Some("marie"));
        assert_eq!(c.get_ports(), [5432]);
        assert_eq!(c.get_password(), Some(&b"from-env"[..]));
    }

    #[test]
    fn tls_is_read_from_the_address_then_the_environment_as_libpq_reads_it() {
        let none = |_: &str| None;
        let tls = |a: &str| config(a, &none).map(|t| t.tls);
        let t = tls("postgres://u@db.example/relance").unwrap();
        assert_eq!((t.mode, t.root_cert, t.cert), (SslMode::Prefer, None, None));
        let t =
            tls("postgres://u@db/r?sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20x+y.crt").unwrap();
        assert_eq!(t.mode, SslMode::VerifyFull);
        assert_eq!(t.root_cert.as_deref(), Some("/etc/ca x+y.crt"));
        // The driver is given the rest of the query, and `require` as its mode.
        let c = config(
            "postgres://u@db/r?sslmode=verify-ca&sslrootcert=/ca.crt&connect_timeout=3",
            &none,
        )
        .unwrap();
        assert_eq!(c.tls.mode, SslMode::VerifyCa);
        assert_eq!(
            c.config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(3))
        );
        assert_eq!(c.config.get_ssl_mode(), postgres::config::SslMode::Require);
        assert_eq!(
            tls("postgres://u@db/r?sslmode=allow").unwrap().mode,
            SslMode::Prefer
        );
        assert_eq!(
            config("postgres://u@db/r?sslmode=disable", &none)
                .unwrap()
                .config
                .get_ssl_mode(),
            postgres::config::SslMode::Disable
        );
        assert!(matches!(
            tls("postgres://u@db/r?sslmode=strict"),
            Err(ServerFault::BadAddress(d)) if d.contains("verify-full")
        ));
        // The system's authorities prove a name only: verify-full alone.
        assert_eq!(
            tls("postgres://u@db/r?sslrootcert=system").unwrap().mode,
            SslMode::VerifyFull,
            "the system's authorities without a mode said mean verify-full"
        );
        for mode in ["disable", "prefer", "require", "verify-ca"] {
            assert_eq!(
                tls(&format!(
                    "postgres://u@db/r?sslmode={mode}&sslrootcert=system"
                )),
                Err(ServerFault::TlsSetup(TlsSetup::SystemNeedsFull))
            );
        }
        assert_eq!(
            tls("postgres://u@db/r?sslmode=verify-full&sslrootcert=system")
                .unwrap()
                .root_cert
                .as_deref(),
            Some("system")
        );
        // Checking needs an authority to check against.
        assert_eq!(
            tls("postgres://u@db/r?sslmode=verify-full"),
            Err(ServerFault::TlsSetup(TlsSetup::NoRootCert))
        );
        assert_eq!(
            tls("postgres://u@db/r?sslcert=/me.crt"),
            Err(ServerFault::TlsSetup(TlsSetup::Incomplete(
                "/me.crt".into()
            )))
        );
        // The environment, when the address says nothing; the address wins.
        let env = |k: &str| match k {
            "PGSSLMODE" => Some("verify-full".to_string()),
            "PGSSLROOTCERT" => Some("/etc/office-ca.crt".to_string()),
            _ => None,
        };
        let t = config("postgres://u@db/r", &env).unwrap().tls;
        assert_eq!(
            (t.mode, t.root_cert.as_deref()),
            (SslMode::VerifyFull, Some("/etc/office-ca.crt"))
        );
        let t = config("postgres://u@db/r?sslmode=disable", &env)
            .unwrap()
            .tls;
        assert_eq!(t.mode, SslMode::Disable);
        // libpq's own files in ~/.postgresql, when they exist.
        let home = std::env::temp_dir().join(format!("relance-tls-home-{}", std::process::id()));
        std::fs::create_dir_all(home.join(".postgresql")).unwrap();
        std::fs::write(home.join(".postgresql/root.crt"), "x").unwrap();
        let h = home.display().to_string();
        let env = |k: &str| (k == "HOME").then(|| h.clone());
        let t = config("postgres://u@db/r?sslmode=verify-ca", &env)
            .unwrap()
            .tls;
        assert_eq!(t.root_cert, Some(format!("{h}/.postgresql/root.crt")));
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn a_pgpass_file_is_read_as_libpq_reads_it() {
        let text = "# the office server\n\
                    db.example:5432:relance:marie:first\n\
                    *:*:*:marie:any\\:colon\n\
                    db.example:5432:compta:paul:paul's\n";
        assert_eq!(
            pgpass(text, "db.example", "5432", "relance", "marie").as_deref(),
            Some("first")
        );
        assert_eq!(
            pgpass(text, "other", "5433", "x", "marie").as_deref(),
            Some("any:colon")
        );
        assert_eq!(
            pgpass(text, "db.example", "5432", "compta", "paul").as_deref(),
            Some("paul's")
        );
        assert_eq!(
            pgpass(text, "db.example", "5432", "relance", "nobody"),
            None
        );
        // The password ends at the next unescaped colon, as libpq reads it.
        assert_eq!(
            pgpass("h:1:d:u:pw:rest\n", "h", "1", "d", "u").as_deref(),
            Some("pw")
        );
        // A line with too few fields is skipped, not misread.
        assert_eq!(
            pgpass("db:5432:marie:pw\n", "db", "5432", "marie", "pw"),
            None
        );
    }
}
