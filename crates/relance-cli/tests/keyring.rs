//! The password of a shared ledger's role read from the desktop's keyring (the Secret
//! Service, here GNOME Keyring in a throw-away D-Bus session): stored once with
//! `secret-tool store … application relance host H port P user ROLE`, then `relance` logs in
//! with neither PGPASSWORD nor a .pgpass file; without the item the server refuses it.
//! Needs the test server (`RELANCE_PG_TESTS`, set by `./dev test`, which also installs
//! gnome-keyring, libsecret-tools and dbus).

#![cfg(unix)]

use std::process::{Command, Output};

fn in_a_desktop_session(home: &std::path::Path, script: &str, vars: &[(&str, &str)]) -> Output {
    Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home)
        .env_remove("PGPASSWORD")
        .env("PGPASSFILE", home.join("no-pgpass"))
        .env_remove("RELANCE_DB")
        .env("RELANCE_BIN", env!("CARGO_BIN_EXE_relance"))
        .envs(vars.iter().copied())
        .output()
        .expect("dbus-run-session (./dev setup installs dbus)")
}

#[test]
fn a_roles_password_is_read_from_the_desktops_keyring() {
    if std::env::var_os("RELANCE_PG_TESTS").is_none() {
        eprintln!("skipped: RELANCE_PG_TESTS is not set (./dev test sets it)");
        return;
    }
    let pid = std::process::id();
    let (role, db, password) = (
        format!("relance_keyring_{pid}"),
        format!("relance_keyring_{pid}"),
        format!("kr-{pid}-été'"),
    );
    let admin = relance_core::store::connect_server("postgres:///postgres").unwrap();
    admin
        .execute_batch(&format!(
            "DROP DATABASE IF EXISTS {db} WITH (FORCE); DROP ROLE IF EXISTS {role};"
        ))
        .ok();
    admin
        .execute_batch(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD '{}'",
            password.replace('\'', "''")
        ))
        .unwrap();
    admin
        .execute_batch(&format!("CREATE DATABASE {db} OWNER {role}"))
        .unwrap();
    let port = std::env::var("PGPORT").unwrap_or_else(|_| "5432".into());
    let address = format!("postgres://{role}@localhost:{port}/{db}");
    let home = tempfile::tempdir().unwrap();
    let vars = [
        ("ROLE", role.as_str()),
        ("PORT", port.as_str()),
        ("ADDRESS", address.as_str()),
        ("SECRET", password.as_str()),
    ];
    let unlock =
        "printf unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1";
    // Nothing in the keyring: the server refuses the login, and says so.
    let o = in_a_desktop_session(
        home.path(),
        &format!("{unlock}; exec \"$RELANCE_BIN\" --db \"$ADDRESS\" --lang en customer list"),
        &vars,
    );
    assert_eq!(o.status.code(), Some(1));
    let said = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        said.contains(&format!(
            "The server asks a password for {role}@localhost:{port} and none was found: keep it \
             in the desktop's keyring (secret-tool store --label Relance application relance host \
             localhost port {port} user {role})"
        )),
        "{said}"
    );
    // A wrong password kept: the server's refusal, said as such.
    let o = in_a_desktop_session(
        home.path(),
        &format!("{unlock}; exec \"$RELANCE_BIN\" --db \"$ADDRESS\" --lang en customer list"),
        &[("PGPASSWORD", "not-the-password"), vars[2]],
    );
    assert_eq!(o.status.code(), Some(1));
    let said = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        said.contains(&format!(
            "The server refuses the login of {role}@localhost:{port}"
        )),
        "{said}"
    );
    // Stored once, read at every start.
    let o = in_a_desktop_session(
        home.path(),
        &format!(
            "{unlock}; printf %s \"$SECRET\" | secret-tool store --label Relance application relance \
             host localhost port \"$PORT\" user \"$ROLE\" || exit 90; \
             \"$RELANCE_BIN\" --db \"$ADDRESS\" --lang en customer add --reference KR1 --name 'Trousseau' \
             && exec \"$RELANCE_BIN\" --db \"$ADDRESS\" --lang en customer list"
        ),
        &vars,
    );
    assert!(
        o.status.success(),
        "{} {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("KR1"));
    drop(admin);
    let admin = relance_core::store::connect_server("postgres:///postgres").unwrap();
    let _ = admin.execute_batch(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    let _ = admin.execute_batch(&format!("DROP ROLE IF EXISTS {role}"));
}
