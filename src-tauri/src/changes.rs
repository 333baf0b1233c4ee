//! Tells the window when someone else changed the ledger, so what it shows follows without
//! a reload: `ledger-changed` (someone else committed), and `ledger-reachable` (true/false:
//! the server answers again, or stopped answering).
//!
//! On a file, another connection's commit changes SQLite's `data_version` of the window's
//! own connection (read once a second; its own commits do not change it). On a server, a
//! session of its own listens to the commits of every session (`store::Listener`) and leaves
//! out the window's own. One thread per window; it never holds the ledger while it waits.

use crate::commands::Ledger;
use relance_core::store::{self, Listener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::{AppHandle, Emitter};

const TICK: Duration = Duration::from_secs(1);

pub fn watch(app: AppHandle, ledger: Arc<Mutex<Ledger>>) {
    std::thread::spawn(move || {
        let mut seen: Option<(PathBuf, i64)> = None;
        let mut ears: Option<(String, Listener)> = None;
        let mut reachable = true;
        let mut say_reachable = |now: bool, app: &AppHandle| {
            if now != reachable {
                reachable = now;
                let _ = app.emit("ledger-reachable", now);
                // Back after a gap: what was missed meanwhile is news.
                if now {
                    let _ = app.emit("ledger-changed", ());
                }
            }
        };
        loop {
            let (server, path, version, own) = {
                let g = ledger.lock().unwrap_or_else(|p| p.into_inner());
                let version = match g.server {
                    None => store::data_version(&g.conn).ok().flatten(),
                    Some(_) => None,
                };
                (g.server.clone(), g.path.clone(), version, g.session)
            };
            let changed = match server {
                None => {
                    ears = None;
                    // A file opened since the last look (the demo, or back) is no change.
                    let changed = matches!((&seen, version), (Some((p, v)), Some(now)) if *p == path && *v != now);
                    if let Some(v) = version {
                        seen = Some((path, v));
                    }
                    std::thread::sleep(TICK);
                    changed
                }
                Some(address) => {
                    seen = None;
                    if ears.as_ref().is_none_or(|(a, _)| *a != address) {
                        match Listener::start(&address) {
                            Ok(l) => {
                                ears = Some((address, l));
                                say_reachable(true, &app);
                            }
                            Err(_) => {
                                ears = None;
                                suspect(&ledger);
                                say_reachable(false, &app);
                                std::thread::sleep(5 * TICK);
                                continue;
                            }
                        }
                    }
                    let (_, l) = ears.as_mut().expect("listening");
                    match l.wait(TICK, own) {
                        Ok(changed) => changed,
                        Err(_) => {
                            ears = None;
                            suspect(&ledger);
                            say_reachable(false, &app);
                            false
                        }
                    }
                }
            };
            if changed {
                let _ = app.emit("ledger-changed", ());
            }
        }
    });
}

/// The watcher's session to the server was cut: the window's may be too, which its next
/// command checks (`Ledger::reconnect`).
fn suspect(ledger: &Mutex<Ledger>) {
    ledger.lock().unwrap_or_else(|p| p.into_inner()).suspect = true;
}
