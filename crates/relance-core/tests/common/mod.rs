//! What the engine's integration tests share: a throw-away database on the test server.

use relance_core::store;

/// A fresh database on the test server (`RELANCE_PG_TESTS`, started by `./dev test`),
/// dropped when the test ends, even one that failed.
pub struct ServerDb {
    pub name: String,
}

impl ServerDb {
    /// `None` (the test says why and stops there) when no test server runs; a server that
    /// should run and cannot be reached fails the test.
    pub fn create(tag: &str) -> Option<ServerDb> {
        if std::env::var_os("RELANCE_PG_TESTS").is_none() {
            eprintln!("PostgreSQL half skipped: RELANCE_PG_TESTS is not set (./dev test sets it)");
            return None;
        }
        let admin = store::connect_server("postgres:///postgres")
            .expect("the test server (RELANCE_PG_TESTS is set: ./dev test starts one)");
        let name = format!("relance_{tag}_{}", std::process::id());
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin.execute_batch(&sql).unwrap();
        }
        Some(ServerDb { name })
    }

    /// [`ServerDb::create`], with a session on it.
    #[allow(dead_code)] // not every test file that shares this module needs it
    pub fn connected(tag: &str) -> Option<(ServerDb, store::sql::Connection)> {
        let db = ServerDb::create(tag)?;
        let conn = store::connect_server(&db.address()).unwrap();
        Some((db, conn))
    }

    pub fn address(&self) -> String {
        format!("postgres:///{}", self.name)
    }
}

impl Drop for ServerDb {
    fn drop(&mut self) {
        if let Ok(admin) = store::connect_server("postgres:///postgres") {
            let _ = admin.execute_batch(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
