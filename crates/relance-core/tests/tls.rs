//! TLS to a shared ledger's server: the test server is given a certificate signed by a
//! throw-away authority, and Relance connects as libpq would with each `sslmode` — the
//! certificate and the host's name checked by `verify-full`, the certificate alone by
//! `verify-ca`, nothing by `require` or `prefer`, no TLS with `disable` — and says clearly
//! why it refuses an authority that did not sign the certificate, a name the certificate
//! does not carry, or a missing file. Needs the test server (`RELANCE_PG_TESTS`), which it
//! puts back without TLS at the end.

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509NameBuilder, X509};
use relance_core::error::{ServerFault, TlsRefusal, TlsSetup};
use relance_core::{app, Error, Lang};
use std::path::Path;

fn key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

/// A certificate for `name`: an authority's own (self-signed) when `issuer` is `None`, else
/// a server's naming `localhost` only, signed by the issuer.
fn certificate(name: &str, key: &PKey<Private>, issuer: Option<(&X509, &PKey<Private>)>) -> X509 {
    let mut subject = X509NameBuilder::new().unwrap();
    subject.append_entry_by_nid(Nid::COMMONNAME, name).unwrap();
    let subject = subject.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(rand_serial()).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&subject).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    match issuer {
        None => {
            b.set_issuer_name(&subject).unwrap();
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()
                    .unwrap(),
            )
            .unwrap();
            b.sign(key, MessageDigest::sha256()).unwrap();
        }
        Some((ca, ca_key)) => {
            b.set_issuer_name(ca.subject_name()).unwrap();
            let san = SubjectAlternativeName::new()
                .dns("localhost")
                .build(&b.x509v3_context(Some(ca), None))
                .unwrap();
            b.append_extension(san).unwrap();
            b.sign(ca_key, MessageDigest::sha256()).unwrap();
        }
    }
    b.build()
}

fn rand_serial() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(1);
    std::process::id().wrapping_mul(1000) + N.fetch_add(1, Ordering::Relaxed)
}

/// A session as the test server's superuser, outside any transaction (ALTER SYSTEM).
fn admin() -> postgres::Client {
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    postgres::Config::new()
        .host(&env("PGHOST"))
        .port(env("PGPORT").parse().unwrap())
        .user(&env("PGUSER"))
        .password(env("PGPASSWORD"))
        .dbname("postgres")
        .connect(postgres::NoTls)
        .unwrap()
}

/// Writes the certificate and key into the server's data folder, owned by the server's
/// account as it requires.
fn install(cert: &X509, key: &PKey<Private>) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let data: String = admin()
        .query_one("SHOW data_directory", &[])
        .unwrap()
        .get(0);
    let data = Path::new(&data);
    let crt = data.join("relance-test.crt");
    let pem = data.join("relance-test.key");
    std::fs::write(&crt, cert.to_pem().unwrap()).unwrap();
    std::fs::write(&pem, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    let owner = std::fs::metadata(data).unwrap();
    for f in [&crt, &pem] {
        std::os::unix::fs::chown(f, Some(owner.uid()), Some(owner.gid())).unwrap();
    }
    std::fs::set_permissions(&pem, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Sets (or, with `None`, resets to the configuration file's) the server's TLS settings,
/// reloads it and waits until a new session sees `ssl` as `wanted`.
fn configure(settings: &[(&str, Option<&str>)], wanted: &str) {
    let mut admin = admin();
    // One statement at a time: ALTER SYSTEM refuses to run inside a transaction block.
    for (name, value) in settings {
        let sql = match value {
            Some(v) => format!("ALTER SYSTEM SET {name} = '{v}'"),
            None => format!("ALTER SYSTEM RESET {name}"),
        };
        admin.batch_execute(&sql).unwrap();
    }
    admin.batch_execute("SELECT pg_reload_conf()").unwrap();
    for _ in 0..100 {
        let mut session = self::admin();
        let mut show = |name: &str| -> String {
            session
                .query_one(&format!("SHOW {name}"), &[])
                .unwrap()
                .get(0)
        };
        let set = settings
            .iter()
            .all(|(name, value)| value.is_none_or(|v| show(name) == v));
        if show("ssl") == wanted && set {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the server's ssl did not become {wanted} (see its log)");
}

const RESET: [(&str, Option<&str>); 3] = [
    ("ssl", None),
    ("ssl_cert_file", None),
    ("ssl_key_file", None),
];

#[test]
fn a_server_ledger_is_reached_over_tls_as_libpq_would() {
    if std::env::var_os("RELANCE_PG_TESTS").is_none() {
        eprintln!("skipped: RELANCE_PG_TESTS is not set (./dev test sets it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ca_key = key();
    let ca = certificate("Relance test authority", &ca_key, None);
    let server_key = key();
    let server = certificate("localhost", &server_key, Some((&ca, &ca_key)));
    let other_key = key();
    let other = certificate("Another authority", &other_key, None);
    let ca_file = dir.path().join("ca.crt");
    let other_file = dir.path().join("other.crt");
    std::fs::write(&ca_file, ca.to_pem().unwrap()).unwrap();
    std::fs::write(&other_file, other.to_pem().unwrap()).unwrap();
    // Debian's clusters may already offer TLS with a certificate of their own: read what
    // to put back.
    let before: String = admin().query_one("SHOW ssl", &[]).unwrap().get(0);
    install(&server, &server_key);
    configure(
        &[
            ("ssl_cert_file", Some("relance-test.crt")),
            ("ssl_key_file", Some("relance-test.key")),
            ("ssl", Some("on")),
        ],
        "on",
    );

    let port = std::env::var("PGPORT").unwrap();
    let at = |host: &str, query: &str| format!("postgres://{host}:{port}/postgres?{query}");
    let ca = ca_file.display();
    let outcome = std::panic::catch_unwind(|| {
        // verify-full: the authority signed it and it names "localhost".
        let c = app::check_server(&at(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ))
        .unwrap();
        assert!(c.tls.starts_with("TLS"), "{c:?}");
        assert_eq!(c.verified, "name");
        // A percent-encoded path and the parameters in another order read the same.
        let encoded = ca.to_string().replace('/', "%2F");
        let c = app::check_server(&at(
            "localhost",
            &format!("sslrootcert={encoded}&application_name=x&sslmode=verify-full"),
        ))
        .unwrap();
        assert_eq!(c.verified, "name");

        // The same server addressed by a name its certificate does not carry.
        let e = app::check_server(&at(
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ))
        .unwrap_err();
        assert!(
            matches!(&e, Error::Server(ServerFault::TlsRefused(TlsRefusal::WrongName(h))) if h == "127.0.0.1"),
            "{e:?}"
        );
        assert!(
            e.message(Lang::En)
                .starts_with("The encrypted connection (TLS) to the shared ledger's server failed"),
            "{}",
            e.message(Lang::En)
        );
        // verify-ca checks the signature only: the other name is accepted.
        let c = app::check_server(&at(
            "127.0.0.1",
            &format!("sslmode=verify-ca&sslrootcert={ca}"),
        ))
        .unwrap();
        assert_eq!(c.verified, "authority");
        // require with an authority checks the signature as libpq does.
        let c = app::check_server(&at(
            "127.0.0.1",
            &format!("sslmode=require&sslrootcert={ca}"),
        ))
        .unwrap();
        assert_eq!(c.verified, "authority");

        // An authority that did not sign the server's certificate.
        let e = app::check_server(&at(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={}", other_file.display()),
        ))
        .unwrap_err();
        assert!(
            matches!(
                &e,
                Error::Server(ServerFault::TlsRefused(TlsRefusal::NotSigned))
            ),
            "{e:?}"
        );
        assert!(e.message(Lang::Fr).contains("La connexion chiffrée (TLS)"));
        // verify-ca, and require with an authority, check the signature for real.
        for mode in ["verify-ca", "require"] {
            let e = app::check_server(&at(
                "127.0.0.1",
                &format!("sslmode={mode}&sslrootcert={}", other_file.display()),
            ))
            .unwrap_err();
            assert!(
                matches!(
                    &e,
                    Error::Server(ServerFault::TlsRefused(TlsRefusal::NotSigned))
                ),
                "{mode}: {e:?}"
            );
        }

        // A missing authority file: said before anything is sent.
        let missing = dir.path().join("nowhere.crt");
        let e = app::check_server(&at(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={}", missing.display()),
        ))
        .unwrap_err();
        assert!(
            matches!(&e, Error::Server(ServerFault::TlsSetup(TlsSetup::Missing(f))) if *f == missing.display().to_string()),
            "{e:?}"
        );
        assert!(e.is_refusal());
        assert!(e
            .message(Lang::Fr)
            .contains(&format!("le fichier {} n'existe pas", missing.display())));

        // A file that is not a certificate.
        let garbage = dir.path().join("garbage.crt");
        std::fs::write(&garbage, "not a certificate").unwrap();
        let e = app::check_server(&at(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={}", garbage.display()),
        ))
        .unwrap_err();
        assert!(
            matches!(
                &e,
                Error::Server(ServerFault::TlsSetup(TlsSetup::Unreadable(..)))
            ),
            "{e:?}"
        );

        // prefer (the default): encrypted when the server offers it, nothing checked.
        let c = app::check_server(&format!("postgres://localhost:{port}/postgres")).unwrap();
        assert!(c.tls.starts_with("TLS"), "{c:?}");
        assert_eq!(c.verified, "none");
        // disable: never encrypted.
        let c = app::check_server(&at("localhost", "sslmode=disable")).unwrap();
        assert_eq!((c.tls.as_str(), c.verified.as_str()), ("", "none"));

        // A whole ledger opened over verify-full works as any other.
        let conn = relance_core::store::connect_server(&at(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ))
        .unwrap();
        let ssl: bool = conn
            .query_row(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(ssl);
    });
    // Without TLS on the server, require is refused with the server's words.
    configure(&[("ssl", Some("off"))], "off");
    let refused = app::check_server(&at("localhost", "sslmode=require"));
    configure(&RESET, &before);
    let e = refused.unwrap_err();
    assert!(
        matches!(
            &e,
            Error::Server(ServerFault::TlsRefused(TlsRefusal::NoTls))
        ),
        "{e:?}"
    );
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
}
