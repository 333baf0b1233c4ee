//! The engine's one SQL surface: the connection, statement, row and transaction types every
//! domain module uses, whichever database engine holds the ledger.
//!
//! The domain writes its own SQL and reads its rows through these types; what they reach is
//! the embedded SQLite file (rusqlite, the default) or a ledger on a PostgreSQL server
//! ([`super::pg`]), chosen when the ledger is opened. The shape is rusqlite's (`execute`,
//! `query_row`, `prepare_cached`, `query_map`, `Row::get`), and so is the vocabulary of values
//! and errors, re-exported here: [`ToSql`] and [`FromSql`] convert values, [`Error`] and
//! [`Result`] report failures, [`OptionalExtension`] turns "no row" into `None`. No module
//! above the store names `rusqlite` (`tests/layers.rs` checks it).

use super::pg;
use std::ops::Deref;
use std::sync::Arc;

pub use rusqlite::types::{FromSql, ToSqlOutput, Value, ValueRef};
pub use rusqlite::{ffi, params, Error, ErrorCode, OptionalExtension, Result, ToSql};

/// A connection to a ledger. Engine functions take `&Connection` to read or write in
/// autocommit mode, and `&mut Connection` to open a [`Transaction`].
#[derive(Debug)]
pub struct Connection {
    engine: Engine,
    /// Who the history names for what this connection records, when it works on behalf of
    /// another session (see [`Connection::act_as`]).
    acting_as: std::cell::RefCell<Option<String>>,
}

#[derive(Debug)]
enum Engine {
    Sqlite(rusqlite::Connection),
    Postgres(Box<pg::Session>),
}

/// Which engine holds a ledger; what differs between their dialects asks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Connection {
    /// Wraps an open SQLite connection (the store configures it first).
    pub(crate) fn from_sqlite(db: rusqlite::Connection) -> Self {
        Connection {
            engine: Engine::Sqlite(db),
            acting_as: Default::default(),
        }
    }

    /// Wraps a session on a PostgreSQL server (the store connects and checks it first).
    pub(crate) fn from_postgres(client: postgres::Client) -> Self {
        Connection {
            engine: Engine::Postgres(Box::new(pg::Session::new(client))),
            acting_as: Default::default(),
        }
    }

    /// Whether the connection is gone: a server that stopped answering or cut the session
    /// (a file's connection never is).
    pub fn is_closed(&self) -> bool {
        match &self.engine {
            Engine::Sqlite(_) => false,
            Engine::Postgres(s) => s.is_closed(),
        }
    }

    /// On a server, the role this session logged in as (asked once, then kept); on a file,
    /// none.
    pub fn session_user(&self) -> Result<Option<String>> {
        if let Some(who) = self.acting_as.borrow().clone() {
            return Ok(Some(who));
        }
        match &self.engine {
            Engine::Sqlite(_) => Ok(None),
            Engine::Postgres(s) => s.session_user().map(Some),
        }
    }

    /// Records on behalf of `who` (a role of a shared ledger): the history names them for
    /// what this connection writes from now on. A restore onto a server works on a copy as a
    /// file, on behalf of the owner's role that restores.
    pub fn act_as(&self, who: &str) {
        *self.acting_as.borrow_mut() = Some(who.to_string());
    }

    /// The engine holding the ledger.
    pub fn dialect(&self) -> Dialect {
        match self.engine {
            Engine::Sqlite(_) => Dialect::Sqlite,
            Engine::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Opens a SQLite file as it is, without configuring or migrating it: a snapshot to
    /// read or a copy to prepare (the ledger itself opens through [`crate::store::connect`]).
    pub fn open_sqlite_file(path: impl AsRef<std::path::Path>, read_only: bool) -> Result<Self> {
        use rusqlite::OpenFlags;
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        Ok(Connection::from_sqlite(
            rusqlite::Connection::open_with_flags(path.as_ref(), flags)?,
        ))
    }

    /// The SQLite connection underneath, for what only the store does with a file: the
    /// online backup, pragmas, integrity checks. `None` on a server.
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.engine {
            Engine::Sqlite(db) => Some(db),
            Engine::Postgres(_) => None,
        }
    }

    /// The SQLite connection underneath, to change: a test counts the virtual machine's
    /// steps through its progress handler (`views::growth`).
    #[cfg(test)]
    pub(crate) fn sqlite_mut(&mut self) -> Option<&mut rusqlite::Connection> {
        match &mut self.engine {
            Engine::Sqlite(db) => Some(db),
            Engine::Postgres(_) => None,
        }
    }

    /// Runs one statement; returns how many rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        ran();
        match &self.engine {
            // Cached as a server's statements are: a bulk write runs the same statements
            // once per row, and parsing each again cost more than running it (measured).
            Engine::Sqlite(db) if !is_pragma(sql) => {
                params.with_values(|v| db.prepare_cached(sql)?.execute(v))
            }
            Engine::Sqlite(db) => params.with_values(|v| db.execute(sql, v)),
            Engine::Postgres(s) => params.with_values(|v| s.execute(sql, v)),
        }
    }

    /// Runs several statements separated by semicolons, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        ran();
        match &self.engine {
            Engine::Sqlite(db) => db.execute_batch(sql),
            Engine::Postgres(s) => s.batch(sql),
        }
    }

    /// Inside a transaction of bulk writes (a copy of the ledger, an import): on a server,
    /// the statements it runs again and again may be planned once for any values until it
    /// ends (a session plans each run with its own values otherwise: `pg::config`). Planning
    /// each of a move's inserts of many rows made it take twice as long. Nothing on a file.
    pub fn generic_plans(&self) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(_) => Ok(()),
            Engine::Postgres(s) => s.batch("SET LOCAL plan_cache_mode = auto"),
        }
    }

    /// Runs a query and maps its first row; [`Error::QueryReturnedNoRows`] when it has none.
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        match &self.engine {
            Engine::Sqlite(db) if !is_pragma(sql) => {
                ran();
                params.with_values(|v| db.prepare_cached(sql)?.query_row(v, |r| f(&Row::Sqlite(r))))
            }
            Engine::Sqlite(db) => {
                ran();
                params.with_values(|v| db.query_row(sql, v, |r| f(&Row::Sqlite(r))))
            }
            Engine::Postgres(_) => self.prepare(sql)?.query_row(params, f),
        }
    }

    /// Prepares a statement to run once or a few times.
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        Ok(Statement {
            st: match &self.engine {
                Engine::Sqlite(db) => Stmt::Plain(db.prepare(sql)?),
                Engine::Postgres(s) => Stmt::Pg(s, s.prepare(sql).map(|_| sql.to_string())?),
            },
        })
    }

    /// Prepares a statement kept in the connection's cache (for statements run often).
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        Ok(Statement {
            st: match &self.engine {
                Engine::Sqlite(db) => Stmt::Cached(db.prepare_cached(sql)?),
                Engine::Postgres(s) => Stmt::Pg(s, s.prepare(sql).map(|_| sql.to_string())?),
            },
        })
    }

    /// Runs an `INSERT` into a table with an `id` key and returns the id it gave the new
    /// row (`RETURNING id`, which both engines understand).
    pub fn insert<P: Params>(&self, sql: &str, params: P) -> Result<i64> {
        self.prepare_cached(&format!("{sql} RETURNING id"))?
            .query_row(params, |r| r.get(0))
    }

    /// Sets a pragma (SQLite's connection and file settings); nothing on a server, whose
    /// settings are its administrator's.
    pub fn pragma_update<V: ToSql>(&self, name: &str, value: V) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(db) => db.pragma_update(None, name, value),
            Engine::Postgres(_) => Ok(()),
        }
    }

    /// Runs the reads of `f` as one read transaction on a file (SQLite's `BEGIN DEFERRED`):
    /// they see one moment of the ledger, and the file's shared lock is taken once rather
    /// than by each statement (a day's agenda runs thousands of indexed reads: taking and
    /// releasing the lock for each made it 91 ms where it takes 55 at a million invoices).
    /// Inside a transaction already, or on a server (each statement its own snapshot, as
    /// before), `f` runs as it is. Meant for reads: it commits when `f` succeeds (so a write
    /// is never lost silently), and rolls back when `f` fails or panics.
    pub fn reading<T, E: From<Error>>(
        &self,
        f: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let Engine::Sqlite(db) = &self.engine else {
            return f();
        };
        if !db.is_autocommit() {
            return f();
        }
        /// Rolls back when `f` fails or panics (committed otherwise, before this drops).
        struct Ends<'a>(&'a rusqlite::Connection);
        impl Drop for Ends<'_> {
            fn drop(&mut self) {
                if !self.0.is_autocommit() {
                    let _ = self.0.execute_batch("ROLLBACK");
                }
            }
        }
        db.execute_batch("BEGIN DEFERRED")?;
        let ends = Ends(db);
        let v = f()?;
        db.execute_batch("COMMIT")?;
        drop(ends);
        Ok(v)
    }

    /// [`Connection::reading`], and on a server too the reads of `f` see one moment of the
    /// ledger, as committed when it first reads, without waiting for a writer: for a screen
    /// whose statements must agree (a page of invoices and its count, the aged balance's
    /// parts, whose totals adjust kept sums by what other statements read). A write in
    /// progress (an import) is not waited for: what it has not committed is not seen. Inside
    /// a transaction already, `f` runs as it is.
    pub fn reading_together<T, E: From<Error>>(
        &self,
        f: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        match &self.engine {
            Engine::Postgres(s) if !self.in_transaction() => {
                s.begin_read_only()?;
                // Read only: dropped, it ends (rolls back) whether `f` succeeded or not.
                let _moment = Transaction { conn: self };
                f()
            }
            _ => self.reading(f),
        }
    }

    /// Runs `f` all or nothing: inside the caller's transaction as a savepoint, else in a
    /// write transaction of its own. Dropped half-way by an error, what `f` wrote is undone
    /// and the caller's transaction goes on.
    pub fn atomically<T, E: From<Error>>(
        &self,
        f: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        if !self.in_transaction() {
            let tx = Transaction::begin(self)?;
            let v = f()?;
            tx.commit()?;
            return Ok(v);
        }
        self.execute_batch("SAVEPOINT relance_atomic")?;
        match f() {
            Ok(v) => {
                self.execute_batch("RELEASE relance_atomic")?;
                Ok(v)
            }
            Err(e) => {
                self.execute_batch("ROLLBACK TO relance_atomic")?;
                self.execute_batch("RELEASE relance_atomic")?;
                Err(e)
            }
        }
    }

    /// Runs `f` inside a transaction so that a statement failing in it leaves the transaction
    /// usable, as the caller goes on (an import checks every row before it says which
    /// failed). SQLite undoes only the failing statement, so nothing is added there;
    /// PostgreSQL ends the whole transaction on any error, so `f` runs in a savepoint.
    pub fn recoverable<T, E: From<Error>>(
        &self,
        f: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        match self.dialect() {
            Dialect::Sqlite => f(),
            Dialect::Postgres => self.atomically(f),
        }
    }

    fn in_transaction(&self) -> bool {
        match &self.engine {
            Engine::Sqlite(db) => !db.is_autocommit(),
            Engine::Postgres(s) => s.in_transaction(),
        }
    }

    /// Opens a write transaction: it takes the ledger's write lock at once (SQLite's
    /// `BEGIN IMMEDIATE`), so two writers queue instead of failing on an upgrade. Dropped
    /// without [`Transaction::commit`], it rolls back.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        Transaction::begin(self)
    }

    /// A transaction that reads the ledger at one moment, for a copy of it (a backup): on a
    /// server a read-only snapshot taken once no writer is half-way (the writers then go
    /// on); on a file the write transaction, which holds the writers back meanwhile.
    pub fn snapshot(&mut self) -> Result<Transaction<'_>> {
        match &self.engine {
            Engine::Sqlite(_) => Transaction::begin(self),
            Engine::Postgres(s) => {
                s.begin_snapshot()?;
                Ok(Transaction { conn: self })
            }
        }
    }

    /// [`Connection::transaction`] on a shared reference, for the store's migrations, which
    /// run before anyone else holds the connection. It takes the write lock: never for a
    /// read, which goes through [`Connection::reading`] (`views::beside_a_writer` holds every
    /// screen's reads to that).
    pub(crate) fn unchecked_transaction(&self) -> Result<Transaction<'_>> {
        Transaction::begin(self)
    }
}

/// A write transaction; reads and writes go through it as through the [`Connection`] it
/// derefs to. Dropped without [`Transaction::commit`], it rolls back.
#[derive(Debug)]
pub struct Transaction<'c> {
    conn: &'c Connection,
}

impl<'c> Transaction<'c> {
    fn begin(conn: &'c Connection) -> Result<Self> {
        match &conn.engine {
            Engine::Sqlite(db) => db.execute_batch("BEGIN IMMEDIATE")?,
            Engine::Postgres(s) => s.begin()?,
        }
        Ok(Transaction { conn })
    }

    /// Makes the transaction's writes durable.
    pub fn commit(self) -> Result<()> {
        // Drop then finds no transaction open and does nothing; a COMMIT that failed (the
        // disk full) leaves it open, and drop rolls it back.
        match &self.conn.engine {
            Engine::Sqlite(db) => db.execute_batch("COMMIT"),
            Engine::Postgres(s) => s.commit(),
        }
    }
}

impl Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.conn.in_transaction() {
            match &self.conn.engine {
                Engine::Sqlite(db) => {
                    let _ = db.execute_batch("ROLLBACK");
                }
                Engine::Postgres(s) => s.rollback(),
            }
        }
    }
}

/// A prepared statement.
pub struct Statement<'c> {
    st: Stmt<'c>,
}

enum Stmt<'c> {
    Plain(rusqlite::Statement<'c>),
    Cached(rusqlite::CachedStatement<'c>),
    /// The session and the statement's SQL (prepared on the server, kept by the session).
    Pg(&'c pg::Session, String),
}

/// A statement on one engine, ready to run.
enum Ready<'s, 'c> {
    Sqlite(&'s mut rusqlite::Statement<'c>),
    Pg(&'c pg::Session, &'s str),
}

impl<'c> Stmt<'c> {
    fn get(&mut self) -> Ready<'_, 'c> {
        match self {
            Stmt::Plain(s) => Ready::Sqlite(s),
            Stmt::Cached(s) => Ready::Sqlite(s),
            Stmt::Pg(session, sql) => Ready::Pg(session, sql),
        }
    }
}

impl Statement<'_> {
    /// Runs the statement; returns how many rows it changed.
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        ran();
        match self.st.get() {
            Ready::Sqlite(st) => params.with_values(|v| st.execute(v)),
            Ready::Pg(s, sql) => params.with_values(|v| s.execute(sql, v)),
        }
    }

    /// Runs the query and maps each row with `f`, lazily.
    pub fn query_map<T, P, F>(&mut self, params: P, f: F) -> Result<MappedRows<'_, F>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        Ok(MappedRows {
            rows: self.query(params)?,
            f,
        })
    }

    /// Runs the query; its rows are read one by one with [`Rows::next`].
    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows<'_>> {
        ran();
        Ok(match self.st.get() {
            Ready::Sqlite(st) => Rows::Sqlite(params.with_values(|v| st.query(v))?),
            Ready::Pg(s, sql) => Rows::Pg {
                fetched: params.with_values(|v| s.query(sql, v))?,
                current: None,
            },
        })
    }

    /// Runs the query and maps its first row; [`Error::QueryReturnedNoRows`] when it has none.
    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        match self.st.get() {
            Ready::Sqlite(st) => {
                ran();
                params.with_values(|v| st.query_row(v, |r| f(&Row::Sqlite(r))))
            }
            Ready::Pg(..) => {
                let mut rows = self.query(params)?;
                match rows.next()? {
                    Some(row) => f(&row),
                    None => Err(Error::QueryReturnedNoRows),
                }
            }
        }
    }

    /// Runs an `INSERT … RETURNING id` and returns the id of the new row.
    pub fn insert<P: Params>(&mut self, params: P) -> Result<i64> {
        self.query_row(params, |r| r.get(0))
    }

    /// Whether the query returns at least one row.
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        Ok(self.query(params)?.next()?.is_some())
    }

    /// The names of the result's columns, in order.
    pub fn column_names(&mut self) -> Result<Vec<String>> {
        match self.st.get() {
            Ready::Sqlite(st) => Ok(st.column_names().map(str::to_string).collect()),
            Ready::Pg(s, sql) => s.column_names(sql),
        }
    }
}

/// The rows of a query, read one by one.
pub enum Rows<'s> {
    Sqlite(rusqlite::Rows<'s>),
    /// A server's rows, fetched whole; `current` holds the row last handed out.
    Pg {
        fetched: pg::Fetched,
        current: Option<(Arc<Vec<String>>, Vec<Value>)>,
    },
}

impl Rows<'_> {
    /// The next row, or `None` after the last.
    #[allow(clippy::should_implement_trait)] // a lending read that can fail, as rusqlite's
    pub fn next(&mut self) -> Result<Option<Row<'_>>> {
        match self {
            Rows::Sqlite(rows) => Ok(rows.next()?.map(Row::Sqlite)),
            Rows::Pg { fetched, current } => {
                *current = fetched.rows.next().map(|v| (fetched.names.clone(), v));
                Ok(current
                    .as_ref()
                    .map(|(names, values)| Row::Pg(names, values)))
            }
        }
    }
}

/// The rows of a query, each mapped by a function ([`Statement::query_map`]).
pub struct MappedRows<'s, F> {
    rows: Rows<'s>,
    f: F,
}

impl<T, F> Iterator for MappedRows<'_, F>
where
    F: FnMut(&Row<'_>) -> Result<T>,
{
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        match self.rows.next() {
            Ok(Some(row)) => Some((self.f)(&row)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// One row of a query's result.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    /// A server's row: the columns' names and values.
    Pg(&'r [String], &'r [Value]),
}

impl Row<'_> {
    /// The value of a column (by position from 0, or by name) converted to `T`.
    pub fn get<I: RowIndex, T: FromSql>(&self, idx: I) -> Result<T> {
        match (self, idx.column()) {
            (Row::Sqlite(r), Column::At(i)) => r.get(i),
            (Row::Sqlite(r), Column::Named(n)) => r.get(n),
            (Row::Pg(names, values), c) => {
                let i = position(names, values, &c)?;
                let value = ValueRef::from(&values[i]);
                T::column_result(value).map_err(|e| conversion(i, &names[i], value, e))
            }
        }
    }

    /// A date column, as `get` reads it; a date stored as "YYYY-MM-DD" (the ledger's form)
    /// parsed without chrono's format machinery (the daily refresh reads three million
    /// dates at a million invoices: a tenth of its time).
    pub fn date<I: RowIndex + Copy>(&self, idx: I) -> Result<chrono::NaiveDate> {
        match self.date_opt(idx)? {
            Some(d) => Ok(d),
            // NULL: refused as `get` refuses it.
            None => self.get(idx),
        }
    }

    /// A date column that may be NULL (`None`), as [`Row::date`] reads it.
    pub fn date_opt<I: RowIndex + Copy>(&self, idx: I) -> Result<Option<chrono::NaiveDate>> {
        match self.get_ref(idx)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => match iso_date(t) {
                Some(d) => Ok(Some(d)),
                None => self.get(idx),
            },
            _ => self.get(idx),
        }
    }

    /// The value of a column as stored, borrowed.
    pub fn get_ref<I: RowIndex>(&self, idx: I) -> Result<ValueRef<'_>> {
        match (self, idx.column()) {
            (Row::Sqlite(r), Column::At(i)) => r.get_ref(i),
            (Row::Sqlite(r), Column::Named(n)) => r.get_ref(n),
            (Row::Pg(names, values), c) => {
                Ok(ValueRef::from(&values[position(names, values, &c)?]))
            }
        }
    }
}

/// "YYYY-MM-DD" as a date; None for anything else (left to chrono, which says why).
fn iso_date(t: &[u8]) -> Option<chrono::NaiveDate> {
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        t[r].iter().try_fold(0u32, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    if t.len() != 10 || t[4] != b'-' || t[7] != b'-' {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)
}

fn position(names: &[String], values: &[Value], c: &Column<'_>) -> Result<usize> {
    match *c {
        Column::At(i) if i < values.len() => Ok(i),
        Column::At(i) => Err(Error::InvalidColumnIndex(i)),
        Column::Named(n) => names
            .iter()
            .position(|x| x.eq_ignore_ascii_case(n))
            .ok_or_else(|| Error::InvalidColumnName(n.to_string())),
    }
}

/// A value that does not convert, reported as rusqlite reports it.
fn conversion(
    i: usize,
    name: &str,
    value: ValueRef<'_>,
    e: rusqlite::types::FromSqlError,
) -> Error {
    use rusqlite::types::FromSqlError;
    match e {
        FromSqlError::InvalidType => {
            Error::InvalidColumnType(i, name.to_string(), value.data_type())
        }
        FromSqlError::OutOfRange(n) => Error::IntegralValueOutOfRange(i, n),
        FromSqlError::Other(err) => Error::FromSqlConversionFailure(i, value.data_type(), err),
        other => Error::FromSqlConversionFailure(i, value.data_type(), Box::new(other)),
    }
}

/// How a column of a row is named: its position from 0, or its name.
pub enum Column<'a> {
    At(usize),
    Named(&'a str),
}

/// What [`Row::get`] takes: a position (`usize`) or a column name (`&str`).
pub trait RowIndex {
    fn column(&self) -> Column<'_>;
}

impl RowIndex for usize {
    fn column(&self) -> Column<'_> {
        Column::At(*self)
    }
}

impl RowIndex for &str {
    fn column(&self) -> Column<'_> {
        Column::Named(self)
    }
}

/// The parameters of a statement, in the shapes rusqlite takes: `[]`, `[a]`, `[a, b]` of one
/// type, `(a, b)` of several, [`params!`], or [`params_from_iter`]. Each engine reads them as
/// a list of [`ToSql`] values.
pub trait Params {
    fn with_values<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R;
}

/// A pragma is not kept prepared: SQLite answers some (`cache_size`, `mmap_size`) when the
/// statement is prepared, so a kept one would repeat its first answer.
fn is_pragma(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("pragma"))
}

impl Params for [&(dyn ToSql + Send + Sync); 0] {
    fn with_values<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(&[])
    }
}

impl Params for &[&dyn ToSql] {
    fn with_values<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(self)
    }
}

impl Params for () {
    fn with_values<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(&[])
    }
}

macro_rules! array_params {
    ($($n:literal)+) => {$(
        impl<T: ToSql> Params for [T; $n] {
            fn with_values<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
                let refs: [&dyn ToSql; $n] = std::array::from_fn(|i| &self[i] as &dyn ToSql);
                f(&refs)
            }
        }
        impl<T: ToSql> Params for &[&T; $n] {
            fn with_values<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
                let refs: [&dyn ToSql; $n] = std::array::from_fn(|i| self[i] as &dyn ToSql);
                f(&refs)
            }
        }
    )+};
}
array_params!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);

macro_rules! tuple_params {
    ($(($($t:ident $i:tt),+))+) => {$(
        impl<$($t: ToSql),+> Params for ($($t,)+) {
            fn with_values<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
                f(&[$(&self.$i as &dyn ToSql),+])
            }
        }
    )+};
}
tuple_params! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
}

/// Parameters from an iterator of values of one type (a list built at run time).
pub struct ParamsFromIter<I>(I);

/// Row ids written into a statement's `IN (…)` list ("1, 2, 3"): integers only, so nothing
/// typed reaches the SQL; for lists a statement is built for once.
pub fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ids sent `n` at a time into the `IN (…)` list of one statement: its marks, numbered from
/// `?first` ("?3, ?4, ?5") and written once, and each chunk of ids padded to `n` with its
/// first (a repeated id selects nothing more), so that every chunk runs the same statement
/// text, prepared once (on a server, one statement of the session's cache rather than one
/// prepared per chunk).
pub struct IdChunks {
    /// The list's marks, to write into the statement.
    pub marks: String,
    n: usize,
}

impl IdChunks {
    /// The marks of `n` ids numbered from `?first`.
    pub fn new(first: usize, n: usize) -> IdChunks {
        let n = n.max(1);
        let marks = (first..first + n)
            .map(|k| format!("?{k}"))
            .collect::<Vec<_>>()
            .join(", ");
        IdChunks { marks, n }
    }

    /// How many ids one statement takes.
    pub fn size(&self) -> usize {
        self.n
    }

    /// `part` (at most [`size`](Self::size) ids, at least one) padded to as many ids as
    /// there are marks.
    pub fn padded(&self, part: &[i64]) -> Vec<i64> {
        assert!(
            !part.is_empty() && part.len() <= self.n,
            "{} ids",
            part.len()
        );
        let mut ids = part.to_vec();
        ids.resize(self.n, part[0]);
        ids
    }
}

/// The `VALUES` list of a statement storing `rows` rows of `width` values each, numbered in
/// order ("(?1, ?2), (?3, ?4)"): the values are sent as parameters, row after row.
pub fn value_rows(rows: usize, width: usize) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(rows * width * 8);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for c in 1..=width {
            let sep = if c == 1 { "" } else { ", " };
            let _ = write!(out, "{sep}?{}", r * width + c);
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
thread_local! {
    static RUNS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// One statement run: a round trip on a server (counted by the tests, [`runs`]).
#[inline]
fn ran() {
    #[cfg(test)]
    RUNS.with(|r| r.set(r.get() + 1));
}

/// How many statements this thread ran so far: what a test compares, since on a server each
/// is a round trip (`views::growth`).
#[cfg(test)]
pub(crate) fn runs() -> u64 {
    RUNS.with(std::cell::Cell::get)
}

/// Parameters from an iterator (see [`ParamsFromIter`]).
pub fn params_from_iter<I>(iter: I) -> ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    ParamsFromIter(iter)
}

impl<I> Params for ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    fn with_values<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        let values: Vec<I::Item> = self.0.into_iter().collect();
        let refs: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
        f(&refs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        Connection::from_sqlite(rusqlite::Connection::open_in_memory().unwrap())
    }

    /// The marks of a multi-row `VALUES` list, numbered row after row.
    #[test]
    fn value_rows_numbers_the_marks_row_after_row() {
        assert_eq!(value_rows(1, 1), "(?1)");
        assert_eq!(value_rows(2, 2), "(?1, ?2), (?3, ?4)");
        assert_eq!(value_rows(3, 1), "(?1), (?2), (?3)");
        let many = value_rows(50, 11);
        assert!(many.starts_with("(?1, ?2, ") && many.ends_with(", ?549, ?550)"));
        assert_eq!(many.matches('?').count(), 550);
    }

    /// A chunk of ids fills every mark of its list, padded with its first id, and a list of
    /// no ids takes one.
    #[test]
    fn id_chunks_pad_each_chunk_to_the_marks() {
        let list = IdChunks::new(3, 4);
        assert_eq!(list.marks, "?3, ?4, ?5, ?6");
        assert_eq!(list.size(), 4);
        assert_eq!(list.padded(&[7, 9]), [7, 9, 7, 7]);
        assert_eq!(list.padded(&[1, 2, 3, 4]), [1, 2, 3, 4]);
        let one = IdChunks::new(1, 0);
        assert_eq!((one.marks.as_str(), one.size()), ("?1", 1));
        // Every chunk of a list runs the same text: the rows of the padded ids are those of
        // the chunk.
        let c = conn();
        let list = IdChunks::new(1, 3);
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) t
              WHERE x IN ({})",
            list.marks
        );
        for (part, n) in [(&[2][..], 1), (&[1, 3][..], 2), (&[1, 2, 3][..], 3)] {
            let found: i64 = c
                .query_row(&sql, params_from_iter(list.padded(part)), |r| r.get(0))
                .unwrap();
            assert_eq!(found, n, "{part:?}");
        }
    }

    /// A date read by `Row::date` is the one `get` reads, for every day of four centuries
    /// and for text that is no date (then the same refusal).
    #[test]
    fn a_date_read_fast_is_the_date_read_by_chrono() {
        let c = conn();
        let mut day = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        let end = chrono::NaiveDate::from_ymd_opt(2300, 1, 1).unwrap();
        while day < end {
            assert_eq!(iso_date(day.to_string().as_bytes()), Some(day));
            day += chrono::Duration::days(1);
        }
        for text in [
            "2026-11-22",
            "2026-02-29",
            "2024-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-5",
            "2026/11/22",
            "2026-11-2x",
            "+2026-11-22",
            "2026-11-22 ",
            "",
        ] {
            let read = |fast: bool| -> std::result::Result<chrono::NaiveDate, String> {
                c.query_row("SELECT ?1", [text], |r| match fast {
                    true => r.date(0),
                    false => r.get(0),
                })
                .map_err(|e| e.to_string())
            };
            assert_eq!(read(true), read(false), "{text:?}");
            let read_opt = |fast: bool| -> std::result::Result<Option<chrono::NaiveDate>, String> {
                c.query_row("SELECT ?1", [text], |r| match fast {
                    true => r.date_opt(0),
                    false => r.get(0),
                })
                .map_err(|e| e.to_string())
            };
            assert_eq!(read_opt(true), read_opt(false), "{text:?}");
        }
        let null = |fast: bool| {
            c.query_row("SELECT NULL", [], |r| match fast {
                true => r.date(0),
                false => r.get::<_, chrono::NaiveDate>(0),
            })
            .map_err(|e| e.to_string())
        };
        assert!(null(true).is_err());
        assert_eq!(null(true), null(false));
        let none: Option<chrono::NaiveDate> =
            c.query_row("SELECT NULL", [], |r| r.date_opt(0)).unwrap();
        assert_eq!(none, None);
    }

    /// The shells move a connection to a worker thread (the app's blocking pool).
    #[test]
    fn a_connection_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<Connection>();
    }

    #[test]
    fn every_shape_of_parameters_reaches_the_statement() {
        let mut c = conn();
        c.execute_batch("CREATE TABLE t (a INTEGER, b TEXT)")
            .unwrap();
        c.execute("INSERT INTO t VALUES (?1, ?2)", params![1, "one"])
            .unwrap();
        c.execute("INSERT INTO t VALUES (?1, ?2)", (2, "two"))
            .unwrap();
        c.execute("INSERT INTO t VALUES (3, ?1)", ["three"])
            .unwrap();
        c.execute("INSERT INTO t VALUES (?1, ?2)", [&4i64, &5i64])
            .unwrap();
        let ids = params_from_iter([1i64, 2, 3]);
        let n: i64 = c
            .query_row("SELECT count(*) FROM t WHERE a IN (?1, ?2, ?3)", ids, |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 3);
        assert_eq!(c.execute("DELETE FROM t WHERE a > 100", []).unwrap(), 0);
        let tx = c.transaction().unwrap();
        let names: Vec<String> = tx
            .prepare("SELECT b FROM t ORDER BY a")
            .unwrap()
            .query_map([], |r| r.get("b"))
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(names, ["one", "two", "three", "5"]);
        tx.execute("DELETE FROM t", []).unwrap();
        drop(tx); // not committed: rolled back
        let n: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 4);
        let none: Option<i64> = c
            .query_row("SELECT a FROM t WHERE a = 99", [], |r| r.get(0))
            .optional()
            .unwrap();
        assert_eq!(none, None);
    }
}
