//! The engine's structure check: modules import downward only (ARCHITECTURE.md, "Floors").
//!
//! Reads every `src/**/*.rs`, drops test-only code (`#[cfg(test)]` items and the files they
//! pull in), collects each `crate::<module>` path, and fails when a module names one on its
//! own floor or above it. Run it alone with `cargo test -p relance-core --test layers`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Floors from the bottom. A module may name modules on lower floors only; `lib.rs` is above
/// them all. A new module gets a floor here (and in ARCHITECTURE.md) or the check fails.
/// Names not built yet (rates, interest, contracts, documents, backup) already have their floor.
const FLOORS: &[&[&str]] = &[
    &["error", "fonts"],
    &["money", "validate"],
    &["store"],
    &["settings", "journal", "rates"],
    &["customers"],
    &["invoices"],
    &["interest", "bank"],
    &["dunning", "contracts"],
    &["views", "app"],
    &["documents"],
    &["import", "demo", "backup", "daily"],
];

/// Files compiled only for tests: fixtures may reach any floor.
const TEST_ONLY: &[&str] = &[
    "test_support.rs",
    "dunning/tests.rs",
    "bank/tests.rs",
    "import/einvoice/tests.rs",
];

fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&module))
}

/// The top-level module a source file belongs to ("invoices/payments.rs" → "invoices").
fn module_of(rel: &str) -> String {
    rel.split('/')
        .next()
        .unwrap_or(rel)
        .trim_end_matches(".rs")
        .to_string()
}

/// The source without `#[cfg(test)]` items (a `mod x;` line, or a braced block).
fn production_code(src: &str) -> String {
    let mut out = String::new();
    let mut lines = src.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut depth = 0i64;
        let mut opened = false;
        for next in lines.by_ref() {
            for c in next.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if (opened && depth <= 0) || (!opened && next.trim_end().ends_with(';')) {
                break;
            }
        }
    }
    out
}

/// Every module named through a `crate::` path, including `use crate::{a::X, b}` groups.
fn crate_modules(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: split on commas at brace depth 0.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(first_ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            found.insert(first_ident(&item));
        } else {
            found.insert(first_ident(rest));
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

fn first_ident(s: &str) -> String {
    s.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn sources(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).expect("src readable") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            sources(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(base)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path));
        }
    }
}

/// The violations in one file: "file: module (floor a) imports other (floor b)".
fn violations(rel: &str, src: &str) -> Vec<String> {
    if rel == "lib.rs" || TEST_ONLY.contains(&rel) {
        return Vec::new();
    }
    let module = module_of(rel);
    let Some(own) = floor_of(&module) else {
        return vec![format!(
            "{rel}: module `{module}` has no floor in tests/layers.rs"
        )];
    };
    crate_modules(&production_code(src))
        .into_iter()
        .filter(|m| *m != module)
        .filter_map(|m| match floor_of(&m) {
            Some(f) if f < own => None,
            Some(f) => Some(format!(
                "{rel}: `{module}` (floor {own}) imports `{m}` (floor {f}), which is not below it"
            )),
            // Names defined in lib.rs itself (crate::open, re-exports) sit at the top.
            None => Some(format!(
                "{rel}: `{module}` names `crate::{m}`, which belongs to the top (lib.rs)"
            )),
        })
        .collect()
}

#[test]
fn engine_imports_run_downward_only() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    assert!(files.len() > 20, "read the engine's sources");
    let mut all = Vec::new();
    for (rel, path) in &files {
        let text = std::fs::read_to_string(path).expect("readable source");
        all.extend(violations(rel, &text));
    }
    assert!(all.is_empty(), "upward imports:\n{}", all.join("\n"));
}

#[test]
fn the_check_sees_upward_grouped_and_test_only_imports() {
    // An upward import in production code is reported…
    let bad = "use crate::error::Result;\nfn f() { crate::dunning::agenda(); }\n";
    assert_eq!(violations("customers.rs", bad).len(), 1);
    // …inside a group too, and a peer on the same floor counts as well…
    let grouped = "use crate::{error::Result, journal::{self, NewEntry}};\n";
    assert_eq!(violations("settings.rs", grouped).len(), 1);
    // …but not in a test module, nor in a comment.
    let tests = "use crate::error::Result;\n// see crate::dunning\n#[cfg(test)]\nmod tests {\n    use crate::dunning;\n    fn x() { if true { } }\n}\nfn after() { crate::money::x(); }\n";
    assert!(violations("customers.rs", tests).is_empty());
    assert_eq!(
        crate_modules(&production_code(tests)),
        ["error", "money"].iter().map(|s| s.to_string()).collect()
    );
    // A module nobody placed is reported.
    assert_eq!(violations("letters.rs", "").len(), 1);
}

/// The modules that may name `rusqlite`: the store, which holds the engines, and the errors
/// at the bottom, which classify what an engine reports. Every other module reaches SQL
/// through `store::sql`, so a second engine plugs in behind it (ARCHITECTURE.md, "Engines").
const ENGINE_AWARE: &[&str] = &["store", "error"];

/// The files outside [`ENGINE_AWARE`] that name `rusqlite` in production code or in tests
/// (a test written against the SQLite engine's own types would not run on another engine).
fn engine_leaks(rel: &str, src: &str) -> Option<String> {
    if ENGINE_AWARE.contains(&module_of(rel).as_str()) {
        return None;
    }
    let named = src
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .any(|l| l.contains("rusqlite"));
    named.then(|| format!("{rel}: names `rusqlite`; reach SQL through `crate::store::sql`"))
}

#[test]
fn only_the_store_knows_the_database_engine() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    let leaks: Vec<String> = files
        .iter()
        .filter_map(|(rel, path)| {
            engine_leaks(
                rel,
                &std::fs::read_to_string(path).expect("readable source"),
            )
        })
        .collect();
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    assert!(engine_leaks("customers.rs", "use rusqlite::Connection;").is_some());
    assert!(engine_leaks("customers.rs", "// rusqlite, once").is_none());
    assert!(engine_leaks("store/sql.rs", "use rusqlite::Connection;").is_none());
}
