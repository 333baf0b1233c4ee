// The installed package: `./dev test` installs the fresh .deb with apt, then runs this file
// on the binary the package put in /usr/bin, in a real window under Xvfb through tauri-driver.
// No RELANCE_DB: the app must find (or create) its data in the platform's data folder of a
// fresh home, as it does for a user who starts it from the applications menu.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { withApp } from '../e2e/webdriver.mjs';

const APP = process.env.RELANCE_APP_BINARY ?? '/usr/bin/relance-app';
const CLI = process.env.RELANCE_CLI_BINARY ?? '/usr/bin/relance';
// The homes are made by ./dev test, which checks after removing the package that the data is
// still there.
const HOME = process.env.RELANCE_INSTALL_HOME;
const UPGRADE_HOME = process.env.RELANCE_UPGRADE_HOME;
const ARTIFACTS = path.resolve(process.env.RELANCE_ARTIFACTS ?? 'tests/artifacts', 'installed');
const TODAY = '2026-11-22';
const PORT = 4450;
const data = (home) => path.join(home, '.local', 'share', 'relance');
const norm = (s) => s.replace(/[\u202f\u00a0]/g, ' ');

before(() => {
  assert.ok(existsSync(APP), `the package installs ${APP}`);
  assert.ok(HOME && UPGRADE_HOME, 'RELANCE_INSTALL_HOME and RELANCE_UPGRADE_HOME are set by ./dev test');
});

function withInstalledApp(home, extra, body) {
  // XDG_DATA_HOME and RELANCE_DB empty count as unset: the default ~/.local/share is used.
  const env = { HOME: home, XDG_DATA_HOME: '', RELANCE_DB: '', RELANCE_TODAY: TODAY, NO_AT_BRIDGE: '1', ...extra };
  return withApp({ port: PORT, env, application: APP, failures: path.join(ARTIFACTS, 'failures') }, body);
}

/** The installed desktop entries that start relance-app: [file, text]. */
function desktopEntries() {
  return readdirSync('/usr/share/applications')
    .filter((f) => f.endsWith('.desktop'))
    .map((f) => [f, readFileSync(path.join('/usr/share/applications', f), 'utf8')])
    .filter(([, text]) => /^Exec=relance-app\b/m.test(text));
}

/** A key of Relance's desktop entry (`Comment[fr]` included). */
function desktopField(k) {
  const [, entry] = desktopEntries()[0];
  return entry.match(new RegExp(`^${k.replace(/[[\]]/g, '\\$&')}=(.*)$`, 'm'))?.[1];
}

test('the package puts Relance in the applications menu with its icon, the CLI and the manual pages', () => {
  const ours = desktopEntries();
  assert.equal(ours.length, 1, 'one desktop entry starts relance-app');
  const field = desktopField;
  assert.equal(field('Name'), 'Relance');
  assert.equal(field('Type'), 'Application');
  assert.deepEqual(field('Categories').split(';').filter(Boolean).sort(), ['Finance', 'Office']);
  assert.match(field('Comment[fr]'), /Relancer ses clients/);
  const icon = field('Icon');
  const sizes = readdirSync('/usr/share/icons/hicolor').filter((s) => existsSync(`/usr/share/icons/hicolor/${s}/apps/${icon}.png`));
  assert.ok(sizes.includes('128x128') && sizes.includes('32x32'), `icon ${icon} in ${sizes}`);
  execFileSync('desktop-file-validate', [path.join('/usr/share/applications', ours[0][0])]);

  assert.match(execFileSync(CLI, ['--version']).toString(), /^relance \d+\.\d+\.\d+/);
  for (const page of ['relance', 'relance-app']) {
    assert.ok(existsSync(`/usr/share/man/man1/${page}.1.gz`), `man page ${page}`);
  }
});

test('the .deb and the .rpm: same files, the workspace version, WebKitGTK 4.1 and GTK 3 as dependencies', () => {
  const deb = process.env.RELANCE_DEB;
  const rpm = process.env.RELANCE_RPM;
  assert.ok(deb && rpm, 'RELANCE_DEB and RELANCE_RPM are set by ./dev test');
  const version = execFileSync('cargo', ['metadata', '--no-deps', '--format-version', '1']).toString();
  const workspace = JSON.parse(version).packages.find((p) => p.name === 'relance-app').version;
  const field = (f) => execFileSync('dpkg-deb', ['-f', deb, f]).toString().trim();
  assert.equal(field('Package'), 'relance');
  assert.equal(field('Version'), workspace);
  assert.match(field('Maintainer'), /^.+ <[^@\s]+@[^@\s]+>$/);
  const depends = field('Depends').split(/,\s*/).map((d) => d.split(' ')[0]);
  // OpenSSL: TLS to a shared ledger's server (both binaries link it).
  for (const d of ['libwebkit2gtk-4.1-0', 'libgtk-3-0', 'libc6', 'libssl3']) assert.ok(depends.includes(d), `${d} in ${depends}`);
  assert.ok(!depends.some((d) => /sqlite/.test(d)), 'SQLite is built in');

  const rpmq = (...args) => execFileSync('rpm', ['-qp', ...args, rpm], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  assert.equal(rpmq('--qf', '%{NAME} %{VERSION}').trim(), `relance ${workspace}`);
  const requires = rpmq('-R');
  assert.match(requires, /libwebkit2gtk-4\.1\.so\.0/);
  assert.match(requires, /libgtk-3\.so\.0/);
  const debFiles = execFileSync('dpkg-deb', ['-c', deb]).toString().split('\n')
    .map((l) => l.split(/\s+/).pop()).filter((f) => f && !f.endsWith('/')).map((f) => `/${f.replace(/^\.?\//, '')}`);
  const rpmFiles = rpmq('-l').trim().split('\n');
  for (const f of ['/usr/bin/relance-app', '/usr/bin/relance', '/usr/share/man/man1/relance.1.gz', '/usr/share/icons/hicolor/128x128/apps/relance-app.png']) {
    assert.ok(debFiles.includes(f), `${f} in the .deb`);
    assert.ok(rpmFiles.includes(f), `${f} in the .rpm`);
  }
  assert.ok(rpmFiles.some((f) => f.startsWith('/usr/share/applications/') && f.endsWith('.desktop')));
});

test('first start from the package: data in the platform folder, the demo, Today, a letter saved, a backup made', async () => {
  const folder = data(HOME);
  const letterPdf = path.join(HOME, 'Documents', 'mise-en-demeure.pdf');
  mkdirSync(path.dirname(letterPdf), { recursive: true });
  assert.ok(!existsSync(folder), 'a fresh home');
  await withInstalledApp(HOME, { RELANCE_TEST_FILE: letterPdf }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.waitText('[data-testid="notice-success"]', '25 clients');
    assert.ok(existsSync(path.join(folder, 'relance.sqlite')), `the ledger is created in ${folder}`);
    // The desktop entry's StartupWMClass is the window's WM_CLASS, so the running window is
    // shown with the menu entry's name and icon.
    const windows = execFileSync('xwininfo', ['-root', '-tree']).toString();
    const wmClass = windows.match(/"Relance": \("([^"]+)" "([^"]+)"\)/);
    assert.ok(wmClass, `the Relance window in ${windows}`);
    assert.equal(desktopField('StartupWMClass'), wmClass[1]);

    // Today on the demo: the week's catch-up, with the figures the debug build shows.
    await d.click('[data-testid="nav-today"]');
    await d.find('[data-testid="action-FEST15/formal_demand/registered_letter"]', 'the formal demand on Today');
    await d.waitText('[data-testid="section-calls"] h2', '4 113,45');
    await d.screenshot(ARTIFACTS, '01-today');

    // A formal demand saved from the invoice page: 12 115,18 € claimed, to the cent.
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="filter-all"]');
    await d.type('[data-testid="invoice-search"]', 'F2025-0009');
    await d.click('[data-testid="invoice-row-F2025-0009"] a');
    await d.click('[data-testid="open-letter"]');
    await d.select('[data-testid="letter-kind"]', 'formal_demand');
    await d.waitText('[data-testid="letter-preview"]', 'Total réclamé');
    await d.click('[data-testid="save-letter"]');
    await d.waitText('[data-testid="letter-panel"] [data-testid="notice-success"]', 'mise-en-demeure.pdf');
    const text = norm(execFileSync('pdftotext', [letterPdf, '-']).toString());
    assert.match(text, /Total réclamé/);
    assert.match(text, /12 115,18 €/);
    const fonts = execFileSync('pdffonts', [letterPdf]).toString();
    assert.match(fonts, /DejaVuSans/, 'the font shipped in the binary is embedded');
    await d.screenshot(ARTIFACTS, '02-letter-saved');

    // A backup from Settings → Data, in the backups folder beside the ledger open (the
    // demo's own, in demo/ beside the owner's).
    await d.click('[data-testid="nav-settings"]');
    await d.click('[data-testid="backup-now"]');
    await d.waitText('[data-testid="data-section"] [data-testid="notice-success"]', 'relance-manual-');
    await d.waitText('[data-testid="backup-list"]', '25 clients, ');
    await d.screenshot(ARTIFACTS, '03-backup');
  });
  const demoFolder = path.join(folder, 'demo');
  const backups = readdirSync(path.join(demoFolder, 'backups'));
  const manual = backups.filter((f) => f.startsWith('relance-manual-') && f.endsWith('.sqlite'));
  assert.equal(manual.length, 1, `${backups}`);
  assert.equal(readFileSync(path.join(demoFolder, 'backups', manual[0])).subarray(0, 15).toString(), 'SQLite format 3');

  // The installed CLI reads the owner's ledger from the same folder: the demo never went
  // into it; the demo's own ledger holds the 25 customers.
  const list = (db) => JSON.parse(execFileSync(CLI, [...(db ? ['--db', db] : []), 'customer', 'list', '--format', 'json'], {
    env: { ...process.env, HOME, XDG_DATA_HOME: '', RELANCE_DB: '', RELANCE_TODAY: TODAY },
  }).toString());
  assert.equal(list(null).length, 0);
  assert.equal(list(path.join(demoFolder, 'relance.sqlite')).length, 25);
});

test('a ledger written by an earlier release is upgraded at first start: snapshot first, every invoice as it was', async () => {
  // A schema-7 ledger made by an earlier build (the engine's upgrade fixture), where that
  // release kept it.
  const fixtures = path.resolve('crates/relance-core/tests/fixtures/upgrade');
  const expected = JSON.parse(readFileSync(path.join(fixtures, 'schema-7-demo.expected.json'), 'utf8'));
  const folder = data(UPGRADE_HOME);
  mkdirSync(folder, { recursive: true });
  execFileSync('python3', ['-c', 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).executescript(open(sys.argv[2]).read())',
    path.join(folder, 'relance.sqlite'), path.join(fixtures, 'schema-7-demo.sql')]);
  await withInstalledApp(UPGRADE_HOME, {}, async (d) => {
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="filter-all"]');
    await d.type('[data-testid="invoice-search"]', 'F2025-0009');
    const was = expected.invoices.find((i) => i.number === 'F2025-0009');
    const shown = new Intl.NumberFormat('fr-FR', { minimumFractionDigits: 2 }).format(Number(was.balance));
    await d.waitText('[data-testid="invoice-row-F2025-0009"]', shown);
    await d.screenshot(ARTIFACTS, '04-upgraded');
  });
  const snaps = readdirSync(path.join(folder, 'backups')).filter((f) => f.startsWith('relance-before-v'));
  assert.equal(snaps.length, 1, 'one snapshot taken before the upgrade');
  const count = (sql) => execFileSync('python3', ['-c', `import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchone()[0])`, ...sql]).toString().trim();
  assert.equal(count([path.join(folder, 'backups', snaps[0]), 'PRAGMA user_version']), String(expected.schema));
  for (const table of ['customers', 'invoices', 'payments', 'journal']) {
    assert.equal(
      count([path.join(folder, 'relance.sqlite'), `SELECT COUNT(*) FROM ${table}`]),
      count([path.join(folder, 'backups', snaps[0]), `SELECT COUNT(*) FROM ${table}`]),
      `${table}: as many rows after the upgrade`,
    );
  }
});
