// End-to-end: the real Relance binary in a real window (WebKitGTK under Xvfb), driven
// through tauri-driver, each test on its own temporary database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { withApp as openApp, KEYS } from './webdriver.mjs';

const APP = process.env.RELANCE_APP_BINARY;
const ARTIFACTS = path.resolve(process.env.RELANCE_ARTIFACTS ?? 'tests/artifacts');
const TODAY = '2026-11-22';

before(() => {
  assert.ok(APP && existsSync(APP), `RELANCE_APP_BINARY must point to the built app (got ${APP})`);
});

/** Types a search in a list (`customer` or `invoice`) and waits until the list shows its
 * answer: a row clicked before would be replaced under the click (its page then never opens). */
async function searchList(d, list, text) {
  await d.type(`[data-testid="${list}-search"]`, text);
  await d.waitFor(
    async () => await d.exec(`const l = document.querySelector('[data-testid="${list}-list"]'); return !!l && l.dataset.search === document.querySelector('[data-testid="${list}-search"]').value`),
    `the ${list}s matching ${text}`,
  );
}

/** Runs `body` with the app open (its database in `env`); the app is quit afterwards. */
function withApp(port, env, body) {
  const failures = path.join(ARTIFACTS, 'failures');
  return openApp({ port, env: { RELANCE_TODAY: TODAY, NO_AT_BRIDGE: '1', ...env }, application: APP, failures }, body);
}

test('create a customer and an invoice, pay part of it, and find everything after a restart', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'flow');

  await withApp(4444, { RELANCE_DB: db }, async (d) => {
    await d.find('[data-testid="first-run"]', 'the first-run screen');
    await d.screenshot(shots, '01-first-run');

    // A customer name full of HTML is refused next to the field, and what was typed stays.
    await d.click('[data-testid="nav-customer"]');
    await d.click('[data-testid="new-customer"]');
    await d.type('#c-name', '<b>Boulangerie</b>');
    await d.type('#c-reference', 'BOUL');
    await d.type('#c-email', 'compta@boulangerie.fr');
    await d.click('[data-testid="save-customer"]');
    await d.find('[data-testid="error-c-name"]', 'the name error');
    assert.match(await d.text('[data-testid="error-c-name"]'), /< et >/);
    assert.equal(await d.value('#c-email'), 'compta@boulangerie.fr');
    await d.screenshot(shots, '02-customer-error');
    await d.type('#c-name', 'Boulangerie Martin & Fils');
    await d.type('#c-payment_notes', 'Paie le 10 du mois.');
    await d.click('[data-testid="save-customer"]');
    await d.waitText('[data-testid="customer-name"]', 'Boulangerie Martin & Fils');
    await d.screenshot(shots, '03-customer-detail');

    // An invoice whose due date precedes its issue date is refused next to the due date.
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="new-invoice"]');
    await d.type('#i-number', 'F2026-001');
    await d.type('#i-customer', 'BOUL');
    await d.type('#i-issue_date', '01/11/2026');
    await d.type('#i-due_date', '15/10/2026');
    await d.type('#i-total', '1 200,00');
    await d.click('[data-testid="save-invoice"]');
    await d.find('[data-testid="error-i-due_date"]', 'the due date error');
    assert.match(await d.text('[data-testid="error-i-due_date"]'), /échéance ne peut pas précéder/);
    assert.equal(await d.value('#i-total'), '1 200,00', 'what the user typed is kept');
    await d.screenshot(shots, '04-invoice-error');
    await d.type('#i-due_date', '01/12/2026');
    await d.click('[data-testid="save-invoice"]');
    await d.waitText('[data-testid="invoice-number"]', 'F2026-001');
    await d.waitText('[data-testid="invoice-balance"]', '1\u202f200,00\u00a0€');

    // The invoice list shows it with its balance.
    await d.click('[data-testid="nav-invoice"]');
    await d.waitText('[data-testid="invoice-row-F2026-001"] [data-testid="balance"]', '1\u202f200,00\u00a0€');
    await d.waitText('[data-testid="invoice-row-F2026-001"] [data-testid="status"]', 'Ouverte');

    // Record a partial payment: the status becomes "partially paid".
    await d.click('[data-testid="invoice-row-F2026-001"] a');
    await d.click('[data-testid="open-payment"]');
    await d.type('#p-amount', '500');
    await d.type('#p-reference', 'VIR-1122');
    await d.click('[data-testid="save-payment"]');
    await d.waitText('[data-testid="invoice-balance"]', '700,00\u00a0€');
    await d.waitText('[data-testid="invoice-number"]', 'Partiellement payée');
    await d.find('[data-testid="settlements"]');
    await d.screenshot(shots, '05-invoice-partially-paid');

    // Overpaying without "keep as credit" is refused next to the amount.
    await d.click('[data-testid="open-payment"]');
    await d.type('#p-amount', '900');
    await d.click('[data-testid="save-payment"]');
    await d.find('[data-testid="error-p-amount"]', 'the overpayment error');
    assert.match(await d.text('[data-testid="error-p-amount"]'), /avoir client/);

    await d.click('[data-testid="nav-customer"]');
    await d.waitText('[data-testid="customer-row-BOUL"] [data-testid="outstanding"]', '700,00\u00a0€');
    await d.screenshot(shots, '06-customers');
  });

  // Quit and relaunch on the same database: everything is there.
  await withApp(4444, { RELANCE_DB: db }, async (d) => {
    await d.click('[data-testid="nav-invoice"]');
    await d.waitText('[data-testid="invoice-row-F2026-001"] [data-testid="balance"]', '700,00\u00a0€');
    await d.waitText('[data-testid="invoice-row-F2026-001"] [data-testid="status"]', 'Partiellement payée');
    await d.click('[data-testid="nav-customer"]');
    await d.waitText('[data-testid="customer-row-BOUL"]', 'Boulangerie Martin & Fils');
    await d.screenshot(shots, '07-after-restart');
  });
});

test('demo data in one click, every screen, and a CSV import with a bad row', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const csv = path.join(dir, 'invoices.csv');
  writeFileSync(csv, 'numero;client;date;echeance;montant\nX-1;BOUL01;01/11/2026;01/12/2026;100\nX-2;NOBODY;01/11/2026;01/12/2026;100\n');
  const shots = path.join(ARTIFACTS, 'demo');

  await withApp(4446, { RELANCE_DB: db, RELANCE_TEST_FILE: csv }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.find('.kpis', 'the dashboard');
    await d.waitText('[data-testid="notice-success"]', '25 clients');
    await d.screenshot(shots, '01-today');

    await d.click('[data-testid="nav-customer"]');
    await d.find('[data-testid="customer-list"]');
    await d.select('[data-testid="customer-sort"]', 'overdue');
    await d.waitFor(async () => (await d.findAll('[data-testid="customer-list"] tbody tr')).length === 25, '25 customers');
    await d.screenshot(shots, '02-customers');
    await d.type('[data-testid="customer-search"]', 'garage');
    await d.waitFor(async () => (await d.findAll('[data-testid="customer-list"] tbody tr')).length === 1, 'search narrows to one');
    await d.click('[data-testid="customer-row-GARA05"] a');
    await d.waitText('[data-testid="customer-name"]', 'Garage Lopez');
    await d.screenshot(shots, '03-customer-detail');
    // A payment from the customer page settles their oldest open invoice first.
    await d.waitText('.kpis', '9 771,40');
    await d.click('[data-testid="customer-payment"]');
    await d.type('#cp-amount', '100');
    await d.click('[data-testid="save-customer-payment"]');
    await d.waitText('[data-testid="notice-success"]', 'F2026-');
    await d.waitText('.kpis', '9 671,40');
    // Letter… from the customer page: a statement of account of every open item.
    await d.click('[data-testid="customer-more"]');
    await d.click('[data-testid="customer-letter"]');
    await d.select('[data-testid="letter-kind"]', 'statement');
    await d.waitText('[data-testid="letter-preview"]', 'relevé de compte');
    assert.match(await d.text('[data-testid="letter-preview"]'), /Solde dû/);
    await d.screenshot(shots, '03b-customer-statement');

    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="filter-overdue"]');
    await d.find('[data-testid="invoice-list"]');
    // The first badge is the status; a disputed or closed invoice carries a second one.
    // The list reloads after the click: wait for the filtered rows, then check them all.
    const statusesJs = "return [...document.querySelectorAll('[data-testid=status] [data-status]:first-child')].map(e => e.dataset.status)";
    const onlyOverdue = (st) => st.length > 0 && st.every((s) => s === 'overdue');
    await d.waitFor(async () => onlyOverdue(await d.exec(statusesJs)), 'the overdue filter to apply');
    const statuses = await d.exec(statusesJs);
    assert.ok(statuses.length > 0 && statuses.every((s) => s === 'overdue'), `overdue filter: ${statuses}`);
    await d.screenshot(shots, '04-invoices-overdue');
    await d.click('[data-testid="invoice-list"] tbody tr a');
    await d.find('[data-testid="invoice-balance"]');
    await d.screenshot(shots, '05-invoice-detail');

    await d.click('[data-testid="nav-settings"]');
    await d.find('#s-company_name');
    assert.equal(await d.value('#s-company_name'), 'Atelier Lumen');
    // The sidebar shows where we are: Settings is the active entry, and only it.
    assert.equal(await d.exec('return document.querySelector(\'[data-testid="nav-settings"]\').classList.contains("active")'), true);
    assert.equal(await d.exec('return document.querySelectorAll("nav.sidebar a.active").length'), 1);
    await d.type('#s-iban', 'FR76 0000');
    await d.click('[data-testid="save-settings"]');
    await d.find('[data-testid="error-s-iban"]', 'the IBAN error');
    await d.screenshot(shots, '06-settings');

    // The scenario editor refuses two steps on the same day, then saves; a copy is a new scenario.
    const editor = '[data-testid="scenario-editor"]';
    await d.click('[data-testid="scenario-standard"]');
    await d.type('[data-testid="step-1-offset"]', '-7');
    await d.click('[data-testid="save-scenario"]');
    await d.waitText(`${editor} [data-testid="notice-error"]`, 'même jour');
    await d.type('[data-testid="step-1-offset"]', '2');
    await d.click('[data-testid="save-scenario"]');
    await d.waitText(`${editor} [data-testid="notice-success"]`, 'Scénario enregistré');
    assert.equal(await d.value('[data-testid="step-1-offset"]'), '2');
    await d.click('[data-testid="scenario-copy"]');
    await d.click('[data-testid="save-scenario"]');
    await d.waitFor(async () => (await d.findAll(`${editor} .segmented button`)).length === 4, 'a fourth scenario');
    await d.screenshot(shots, '06b-scenarios');

    // Reference rates: a later ECB decision is entered; a rate that is not a number is refused.
    await d.type('#r-effective', '18/03/2026');
    await d.type('#r-rate', 'abc');
    await d.click('[data-testid="add-rate"]');
    await d.find('[data-testid="error-r-rate"]', 'the rate error');
    await d.type('#r-rate', '2,00');
    await d.click('[data-testid="add-rate"]');
    await d.waitText('[data-testid="rate-form"] [data-testid="notice-success"]', '2 %');
    await d.waitText('[data-testid="rates-ecb_mro"] tr:first-child', 'saisi');
    assert.match(await d.text('[data-testid="rates-ecb_mro"] tr:first-child'), /18\/03\/2026\s*2\u202f%/);

    // Letter wording: an unknown placeholder is refused, naming it; a valid text is saved.
    await d.type('#w-body', 'Cher {prénom}, merci.');
    await d.click('[data-testid="save-wording"]');
    await d.waitText('[data-testid="error-w-body"]', '{prénom}');
    // The French names are the same placeholders.
    await d.type('#w-body', 'Cher {client}, il reste {reste_du} à régler.');
    await d.click('[data-testid="save-wording"]');
    await d.waitText('[data-testid="letter-wording"] [data-testid="notice-success"]', 'Texte enregistré');

    // The import refuses the whole file and lists the bad row with its line number.
    await d.click('[data-testid="nav-import"]');
    await d.select('[data-testid="import-kind"]', 'invoices');
    await d.click('[data-testid="import-choose"]');
    await d.waitText('[data-testid="import-path"]', 'invoices.csv');
    await d.click('[data-testid="import-run"]');
    await d.waitText('[data-testid="import-errors"]', 'Ligne 3');
    assert.match(await d.text('[data-testid="import-errors"]'), /NOBODY/);
    await d.screenshot(shots, '07-import-errors');
    await d.click('[data-testid="nav-invoice"]');
    await d.type('[data-testid="invoice-search"]', 'X-1');
    await d.click('[data-testid="filter-all"]');
    await d.waitText('.card.muted', 'Aucune facture');
  });
});

test('Today on the demo: expected actions, done adds history, a promise removes the invoice', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'today');
  const action = (id) => `[data-testid="action-${id}"]`;
  const letters = path.join(dir, 'letters');
  // Prepare opens the folder with the system's file manager (xdg-open): a stand-in records it.
  const bin = path.join(dir, 'bin');
  const opened = path.join(dir, 'opened.txt');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" >> '${opened}'\n`, { mode: 0o755 });

  await withApp(4448, { RELANCE_DB: db, RELANCE_TEST_FILE: letters, PATH: `${bin}:${process.env.PATH}` }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    // The demo's owner was away for a week: Today shows that week's catch-up.
    for (const id of ['FEST15/formal_demand/registered_letter', 'PART21/call/phone', 'HOTL03/call/phone', 'ECOL10/courtesy/email']) {
      await d.find(action(id), id);
    }
    assert.equal((await d.findAll('[data-testid="section-calls"] .action-row')).length, 2);
    await d.waitText('[data-testid="section-calls"] h2', '4 113,45');
    await d.screenshot(shots, '01-today');

    // Done: the action leaves Today and the customer's history shows it.
    await d.click('[data-testid="done-PART21/call/phone"]');
    await d.waitText('[data-testid="undo-bar"]', 'Fait — ');
    await d.waitFor(async () => (await d.findAll(action('PART21/call/phone'))).length === 0, 'the done action to leave');

    // A snooze to a past date is refused next to the field.
    await d.click('[data-testid="more-ECOL10/courtesy/email"]');
    await d.click('[data-testid="snooze-ECOL10/courtesy/email"]');
    await d.type('#a-until', '01/11/2026');
    await d.click('[data-testid="action-confirm"]');
    await d.find('[data-testid="error-a-until"]', 'the snooze date error');
    await d.screenshot(shots, '02-snooze-error');
    await d.type('#a-until', '25/11/2026');
    await d.click('[data-testid="action-confirm"]');
    await d.waitFor(async () => (await d.findAll(action('ECOL10/courtesy/email'))).length === 0, 'the snoozed action to leave');

    // The call sheet shows the script filled in for this customer, and the number to call.
    await d.click('[data-testid="call-HOTL03/call/phone"]');
    await d.waitText('[data-testid="call-script"]', 'F2026-0139');
    assert.match(await d.text('[data-testid="call-phone"]'), /\+33/);
    await d.screenshot(shots, '03a-call-sheet');
    await d.click('[data-testid="call-HOTL03/call/phone"]');

    // A promise to pay removes the invoice from Today.
    await d.click('[data-testid="more-HOTL03/call/phone"]');
    await d.click('[data-testid="promise-HOTL03/call/phone"]');
    await d.type('#a-promised_date', '30/11/2026');
    await d.type('#a-note', 'Claire Dubois: virement lundi');
    await d.click('[data-testid="action-confirm"]');
    await d.waitText('[data-testid="notice-success"]', '30/11/2026');
    await d.waitFor(async () => (await d.findAll(action('HOTL03/call/phone'))).length === 0, 'the promised invoice to leave');
    await d.screenshot(shots, '03-after-actions');

    await d.click('[data-testid="nav-customer"]');
    await searchList(d, 'customer', 'Chevalier');
    await d.click('[data-testid="customer-row-PART21"] a');
    await d.find('[data-testid="history"] li[data-kind="action_done"]', 'the history entry');
    await d.screenshot(shots, '04-customer-history');

    // A dispute takes the invoice out of Today; rejecting it brings the reminder back.
    await d.click('[data-testid="nav-invoice"]');
    await searchList(d, 'invoice', 'F2026-0136');
    await d.click('[data-testid="invoice-row-F2026-0136"] a');
    await d.click('[data-testid="open-dispute"]');
    await d.select('#dp-category', 'not_delivered');
    await d.type('#dp-note', 'Affiches jamais reçues');
    await d.click('[data-testid="save-dispute"]');
    await d.find('[data-testid="history"] li[data-kind="dispute_opened"]', 'the dispute in the invoice history');
    await d.waitText('[data-testid="invoice-number"] [data-status="disputed"]', 'En litige');
    await d.click('[data-testid="nav-today"]');
    // Done, snoozed, promised, disputed: no action is left today; the customers at risk are
    // still there to decide on, so Today does not say "nothing to do".
    await d.waitFor(async () => (await d.findAll('[data-testid^="section-"]')).length === 0, 'no action left once the disputed invoice left');
    assert.equal((await d.findAll('[data-testid="agenda-empty"]')).length, 0, 'decisions remain: not "nothing to do"');
    await d.find('[data-testid="sanctions"]');
    assert.equal((await d.findAll(action('FEST15/formal_demand/registered_letter'))).length, 0, 'disputed invoices leave Today');
    await d.click('[data-testid="nav-dispute"]');
    await d.waitText('[data-testid="dispute-F2026-0136"]', 'Non livré');
    await d.screenshot(shots, '05-disputes');
    await d.click('[data-testid="reject-F2026-0136"]');
    await d.waitText('[data-testid="notice-success"]', 'Litige résolu');
    await d.click('[data-testid="nav-today"]');
    await d.find(action('FEST15/formal_demand/registered_letter'), 'the reminder back after rejection');

    // Letter… on the action: the formal demand the engine composed, before preparing it.
    await d.click('[data-testid="more-FEST15/formal_demand/registered_letter"]');
    await d.click('[data-testid="letter-FEST15/formal_demand/registered_letter"]');
    await d.waitText('[data-testid="letter-preview"]', 'mise en demeure de payer');
    assert.match(await d.text('[data-testid="letter-preview"]'), /Total réclamé/);
    await d.screenshot(shots, '05b-letter-from-today');
    // Prepare: the formal demand becomes a PDF in the chosen folder, archived, and the
    // action is done; the folder is opened.
    await d.click('[data-testid="prepare-FEST15/formal_demand/registered_letter"]');
    await d.waitText('[data-testid="notice-success"]', '1 lettre préparée');
    await d.waitFor(async () => (await d.findAll(action('FEST15/formal_demand/registered_letter'))).length === 0, 'the prepared letter to leave Today');
    const files = readdirSync(letters);
    assert.equal(files.length, 1, `${files}`);
    const text = execFileSync('pdftotext', [path.join(letters, files[0]), '-']).toString();
    assert.match(text, /Lettre recommandée avec accusé de réception/);
    assert.match(text, /mise en demeure/);
    await d.waitFor(async () => existsSync(opened), 'the folder to be opened');
    assert.equal(readFileSync(opened, 'utf8').trim(), letters);
    await d.screenshot(shots, '06-letters-prepared');
  });
});

test('E-mails from Today: a draft opened in the mail client, a mailto link, the day\'s e-mails prepared and in the history', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'emails');
  const drafts = path.join(dir, 'drafts');
  const id = 'ECOL10/courtesy/email';
  // The system's handler (xdg-open) opens drafts and folders: a stand-in records what.
  const bin = path.join(dir, 'bin');
  const opened = path.join(dir, 'opened.txt');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" >> '${opened}'\n`, { mode: 0o755 });
  const openedLines = () => (existsSync(opened) ? readFileSync(opened, 'utf8').trim().split('\n') : []);

  await withApp(4446, { RELANCE_DB: db, RELANCE_TEST_FILE: drafts, PATH: `${bin}:${process.env.PATH}` }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.find(`[data-testid="action-${id}"]`, 'the courtesy e-mail of the day');
    await d.find('[data-testid="prepare-all-emails"]', 'Prepare today\'s e-mails');

    // Settings: the owner's own e-mail subject for courtesy reminders in French; a block
    // placeholder of the body is refused in a subject, naming it.
    await d.click('[data-testid="nav-settings"]');
    await d.select('[data-testid="wording-kind"]', 'courtesy');
    await d.select('[data-testid="wording-part"]', 'email_subject');
    await d.type('#w-body', 'Bientôt dû : {invoices}');
    await d.click('[data-testid="save-wording"]');
    await d.waitText('[data-testid="error-w-body"]', '{invoices}');
    await d.type('#w-body', 'Échéance proche, {customer} : {total_due}');
    await d.click('[data-testid="save-wording"]');
    await d.waitText('[data-testid="letter-wording"] [data-testid="notice-success"]', 'Texte enregistré');
    await d.select('[data-testid="wording-part"]', 'email_body');
    assert.match(await d.text('[data-testid="wording-placeholders"]'), /\{factures\} \{paiement\} \{signature\} \{piece_jointe\}/);
    await d.screenshot(shots, '00-email-wording');
    await d.click('[data-testid="nav-today"]');

    // E-mail… on Today: the e-mail exactly as the row's verb will send it, and that verb.
    await d.click(`[data-testid="more-${id}"]`);
    await d.click(`[data-testid="email-${id}"]`);
    await d.waitText('[data-testid="email-preview"]', 'F2026-0145');
    assert.match(await d.text('[data-testid="email-preview"]'), /bureau@pasdedeux\.fr[\s\S]*Échéance proche, École de danse Pas de Deux : 9\s090,65\s€[\s\S]*Bonjour,[\s\S]*Cordialement,/);
    await d.waitText('[data-testid="panel-prepare"]', "Envoyer l'e-mail");
    await d.click('[data-testid="letter-panel"] .actions button:last-child');
    // From the invoice page: a mailto link (subject and body, no PDF), then a draft.
    await d.click('[data-testid="nav-invoice"]');
    await searchList(d, 'invoice', 'F2026-0144');
    await d.click('[data-testid="invoice-row-F2026-0144"] a');
    await d.click('[data-testid="open-letter"]');
    await d.click('[data-testid="view-email"]');
    await d.waitText('[data-testid="email-preview"]', 'F2026-0145');
    await d.click('[data-testid="copy-mailto"]');
    await d.find('[data-testid="mailto-link"]', 'the mailto link');
    const link = await d.value('[data-testid="mailto-link"]');
    assert.match(link, /^mailto:bureau@pasdedeux\.fr\?subject=%C3%89ch%C3%A9ance%20proche%2C%20/);
    assert.ok(link.length <= 2000 && !/\s/.test(link), link);
    assert.match(await d.text('[data-testid="letter-panel"] [data-testid="notice-success"]'), /mailto/);
    await d.screenshot(shots, '01-mailto');

    // Open in mail client: the .eml is written and handed to the system's handler.
    await d.click('[data-testid="open-email"]');
    await d.waitText('[data-testid="letter-panel"] [data-testid="notice-success"]', 'Brouillon ouvert');
    await d.waitFor(async () => openedLines().some((l) => l.endsWith('.eml')), 'the draft to be opened');
    const eml = openedLines().find((l) => l.endsWith('.eml'));
    const parsed = JSON.parse(execFileSync('python3', ['-c', `
import email, json, sys
from email import policy
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=policy.default)
parts = list(m.walk())
print(json.dumps({'to': str(m['to']), 'subject': str(m['subject']), 'unsent': str(m['x-unsent']), 'lang': str(m['content-language']),
  'defects': [str(x) for p in parts for x in p.defects],
  'pdf': [p.get_filename() for p in parts if p.get_content_type() == 'application/pdf']}))
`, eml]).toString());
    assert.deepEqual(parsed, { to: 'École de danse Pas de Deux <bureau@pasdedeux.fr>', subject: 'Échéance proche, École de danse Pas de Deux\u00a0: 9\u202f090,65\u00a0€', unsent: '1', lang: 'fr', defects: [], pdf: ['rappel-courtois-F2026-0144-F2026-0145.pdf'] });
    await d.screenshot(shots, '02-draft-opened');

    await d.click('[data-testid="nav-today"]');
    // Prepare today's e-mails: one .eml per customer and index.html in the chosen folder,
    // the action done, the folder opened.
    await d.click('[data-testid="prepare-all-emails"]');
    await d.waitText('[data-testid="notice-success"]', "1 brouillon d'e-mail préparé");
    await d.waitFor(async () => (await d.findAll(`[data-testid="action-${id}"]`)).length === 0, 'the prepared e-mail to leave Today');
    assert.deepEqual(readdirSync(drafts).sort(), ['2026-11-22-ECOL10-courtesy.eml', 'index.html']);
    assert.match(readFileSync(path.join(drafts, 'index.html'), 'utf8'), /href="2026-11-22-ECOL10-courtesy\.eml"/);
    await d.waitFor(async () => openedLines().includes(drafts), 'the folder to be opened');
    await d.screenshot(shots, '03-emails-prepared');

    // The customer's history shows the e-mail prepared (once, though drafted twice) and
    // opens the very PDF attached.
    await d.click('[data-testid="nav-customer"]');
    await searchList(d, 'customer', 'Pas de Deux');
    await d.click('[data-testid="customer-row-ECOL10"] a');
    await d.find('[data-testid="history"] li[data-kind="email_prepared"]', 'the e-mail in the history');
    assert.equal((await d.findAll('[data-testid="history"] li[data-kind="email_prepared"]')).length, 1);
    await d.waitText('[data-testid="history"] li[data-kind="email_prepared"]', 'E-mail préparé');
    await d.screenshot(shots, '04-history');
  });
});

test('A backlog on Today: each section counted and summed whole, shown fifty at a time, "Show more" goes on from the focus, and a section\'s e-mails prepared though not all shown; the sanction proposals paged the same way', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'backlog');
  const drafts = path.join(dir, 'drafts');
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'xdg-open'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  // 120 customers, each owing 100 + n euros: the even ones 5 days late (a reminder e-mail),
  // the odd ones 20 days late (a call). By hand: e-mails 6,000 + 2 + 4 + … + 118 = 9,540.00;
  // calls 6,000 + 1 + 3 + … + 119 = 9,600.00.
  const day = (offset) => new Date(Date.parse(`${TODAY}T00:00:00Z`) + offset * 86400000).toISOString().slice(0, 10);
  let customers = 'reference,name,email,address,postal_code,city\n';
  let invoices = 'number,customer_reference,issue_date,due_date,total\n';
  for (let n = 0; n < 120; n++) {
    const ref = `B${String(n).padStart(3, '0')}`;
    customers += `${ref},Client ${n},compta${n}@exemple.fr,${n + 1} rue de la Paix,75002,Paris\n`;
    const late = n % 2 === 0 ? 5 : 20;
    invoices += `F-${ref},${ref},${day(-late - 30)},${day(-late)},${100 + n}.00\n`;
  }
  writeFileSync(path.join(dir, 'customers.csv'), customers);
  writeFileSync(path.join(dir, 'invoices.csv'), invoices);
  const cli = process.env.RELANCE_CLI_BINARY ?? path.join(path.dirname(APP), 'relance');
  const env = { ...process.env, RELANCE_TODAY: TODAY };
  for (const [key, value] of [['company_name', 'Atelier Lumen'], ['address', '12 rue des Arts'], ['postal_code', '69001'], ['city', 'Lyon']]) {
    execFileSync(cli, ['--db', db, 'settings', 'set', key, value], { env });
  }
  execFileSync(cli, ['--db', db, 'import', 'customers', path.join(dir, 'customers.csv')], { env });
  execFileSync(cli, ['--db', db, 'import', 'invoices', path.join(dir, 'invoices.csv')], { env });

  await withApp(4470, { RELANCE_DB: db, RELANCE_TEST_FILE: drafts, PATH: `${bin}:${process.env.PATH}` }, async (d) => {
    const rows = async (list) => (await d.findAll(`[data-testid="${list}"] .action-row`)).length;
    await d.find('[data-testid="section-calls"]', 'the calls');
    await d.waitText('[data-testid="section-calls"] h2 .count', '60');
    await d.waitText('[data-testid="section-calls"] h2', '9\u202f600,00');
    await d.waitText('[data-testid="section-emails"] h2 .count', '60');
    await d.waitText('[data-testid="section-emails"] h2', '9\u202f540,00');
    assert.equal(await rows('section-calls'), 50);
    assert.equal(await rows('section-emails'), 50);
    await d.waitText('[data-testid="section-calls"] .show-more', '50 sur 60 affichées');
    await d.waitText('[data-testid="show-more-section-calls"]', 'Afficher 10 de plus');
    await d.exec(`document.querySelector('[data-testid="section-calls"] .show-more').scrollIntoView({ block: 'center' })`);
    await d.screenshot(shots, '01-first-page');
    assert.deepEqual(await d.axe(), [], 'axe-core on a paged Today');

    // Show more: the ten left, and the focus on the first of them (a keyboard user goes on).
    const order = await d.exec(`return [...document.querySelectorAll('[data-testid="section-calls"] .action-row')].map((r) => r.dataset.testid)`);
    await d.click('[data-testid="show-more-section-calls"]');
    await d.waitFor(async () => (await rows('section-calls')) === 60, 'the ten more calls');
    assert.equal((await d.findAll('[data-testid="show-more-section-calls"]')).length, 0, 'nothing more to show');
    const after = await d.exec(`return [...document.querySelectorAll('[data-testid="section-calls"] .action-row')].map((r) => r.dataset.testid)`);
    assert.deepEqual(after.slice(0, 50), order, 'the first page stays as it was, in its order');
    await d.waitFor(async () => (await d.exec(`return document.activeElement?.closest('.action-row')?.dataset.testid ?? ''`)) === after[50], 'the focus on the first new row');
    await d.screenshot(shots, '02-all-calls');

    // A call done: the count and the total follow, the page stays as asked.
    const first = after[0].replace(/^action-/, '');
    await d.click(`[data-testid="done-${first}"]`);
    await d.waitText('[data-testid="section-calls"] h2 .count', '59');
    await d.waitText('[data-testid="section-calls"] h2', `9\u202f${600 - 100 - Number(first.slice(1, 4))},00`);
    assert.equal(await rows('section-calls'), 59);

    // The section's e-mails: all sixty prepared, the ten not shown too.
    await d.click('[data-testid="prepare-all-emails"]');
    await d.waitText('[data-testid="notice-success"]', "60 brouillons d'e-mail préparés");
    await d.waitFor(async () => (await d.findAll('[data-testid="section-emails"]')).length === 0, 'the e-mails to leave Today');
    assert.equal(readdirSync(drafts).filter((f) => f.endsWith('.eml')).length, 60);

    // Grouped by segment: the same count (all new customers), paged the same way.
    await d.click('[data-testid="group-by-segment"]');
    await d.waitText('[data-testid="segment-group-new"] h2 .count', '59');
    assert.equal(await rows('segment-group-new'), 50);
    await d.click('[data-testid="show-more-segment-new"]');
    await d.waitFor(async () => (await rows('segment-group-new')) === 59, 'the nine more');
    await d.screenshot(shots, '03-by-segment');
    // Back on Today after a visit elsewhere (as after another window's change): grouped
    // the same way, the page asked for still shown.
    await d.click('[data-testid="nav-customer"]');
    await d.find('[data-testid="customer-list"]', 'the customers');
    await d.click('[data-testid="nav-today"]');
    await d.waitText('[data-testid="segment-group-new"] h2 .count', '59');
    await d.waitFor(async () => (await rows('segment-group-new')) === 59, 'the page kept');

    // Customers of one segment, fifty at a time by name (the window no longer receives
    // every customer's segment): the 120 new customers, then the next page.
    await d.click('[data-testid="nav-customer"]');
    await d.select('[data-testid="customer-segment-filter"]', 'new');
    await d.waitText('[data-testid="segment-total"]', '120');
    const byName = Array.from({ length: 120 }, (_, n) => `Client ${n}`).sort();
    const refOf = (name) => `B${name.slice(7).padStart(3, '0')}`;
    const shown = async () => d.exec(`return [...document.querySelectorAll('[data-testid="segment-list"] tr')].map((r) => r.dataset.testid)`);
    await d.waitFor(async () => (await shown()).length === 50, 'a page of fifty');
    assert.deepEqual(await shown(), byName.slice(0, 50).map((n) => `segment-row-${refOf(n)}`));
    await d.click('.pager button:last-child');
    await d.waitFor(async () => (await shown())[0] === `segment-row-${refOf(byName[50])}`, 'the second page');
    assert.deepEqual(await shown(), byName.slice(50, 100).map((n) => `segment-row-${refOf(n)}`));
    await d.waitText('.pager span', '2');
    await d.screenshot(shots, '04-customers-new-page-2');
    assert.deepEqual(await d.axe(), [], 'axe-core on a segment paged');

    // Reports: the aged balance fifty customers at a time, largest first, under the whole
    // report's totals (120 customers owing 100 + n euros each: 19,140.00 by hand).
    await d.click('[data-testid="nav-reports"]');
    await d.waitText('[data-testid="aged-count"]', '120 clients débiteurs');
    await d.waitText('[data-testid="aged-grand-total"]', '19\u202f140,00');
    const agedRows = async () => d.exec(`return [...document.querySelectorAll('[data-testid="aged-table"] tbody tr')].map((r) => r.dataset.testid)`);
    const agedRef = (n) => `aged-row-B${String(n).padStart(3, '0')}`;
    await d.waitFor(async () => (await agedRows()).length === 50, 'a page of fifty owing most');
    assert.deepEqual(await agedRows(), Array.from({ length: 50 }, (_, k) => agedRef(119 - k)));
    await d.waitText('[data-testid="aged-pager"] .pager span', 'Page 1 sur 3');
    await d.click('[data-testid="aged-pager"] .pager button:last-child');
    await d.waitFor(async () => (await agedRows())[0] === agedRef(69), 'the second page');
    assert.deepEqual(await agedRows(), Array.from({ length: 50 }, (_, k) => agedRef(69 - k)));
    await d.click('[data-testid="aged-pager"] .pager button:last-child');
    await d.waitFor(async () => (await agedRows()).length === 20, 'the last twenty');
    assert.deepEqual(await agedRows(), Array.from({ length: 20 }, (_, k) => agedRef(19 - k)));
    await d.waitText('[data-testid="aged-pager"] .pager span', 'Page 3 sur 3');
    await d.waitText('[data-testid="aged-grand-total"]', '19\u202f140,00');
    await d.screenshot(shots, '05-aged-balance-last-page');
    assert.deepEqual(await d.axe(), [], 'axe-core on the aged balance paged');

    // Fifty-five customers put at risk (by the owner, from the command line, the window
    // open): Today counts the 55 sanctions to decide, lists the first fifty by name, and
    // "Show more" the five left, the focus on the first of them.
    for (let n = 0; n < 55; n++) {
      execFileSync(cli, ['--db', db, 'segment', '--customer', `B${String(n).padStart(3, '0')}`, '--set', 'at_risk', '--reason', 'test'], { env });
    }
    // (the window reads the ledger's version once a second: the last write's news, which
    // shows the screen again, lands before Today is opened)
    await new Promise((r) => setTimeout(r, 4000));
    const atRisk = Array.from({ length: 55 }, (_, n) => `Client ${n}`).sort().map((n) => `sanction-${refOf(n)}`);
    await d.click('[data-testid="nav-today"]');
    await d.waitText('[data-testid="sanctions-toggle"] .count', '55');
    await d.click('[data-testid="sanctions-toggle"]');
    const proposed = async () => d.exec(`return [...document.querySelectorAll('#sanctions-body .action-row')].map((r) => r.dataset.testid)`);
    await d.waitFor(async () => (await proposed()).length === 50, 'the first fifty proposals');
    assert.deepEqual(await proposed(), atRisk.slice(0, 50));
    await d.waitText('[data-testid="sanctions"] .show-more', '50 sur 55 affichées');
    await d.waitText('[data-testid="show-more-sanctions"]', 'Afficher 5 de plus');
    await d.exec(`document.querySelector('[data-testid="sanctions"] .show-more').scrollIntoView({ block: 'center' })`);
    await d.screenshot(shots, '06-sanctions-first-page');
    await d.click('[data-testid="show-more-sanctions"]');
    await d.waitFor(async () => (await proposed()).length === 55, 'the five more proposals');
    assert.deepEqual(await proposed(), atRisk);
    assert.equal((await d.findAll('[data-testid="show-more-sanctions"]')).length, 0, 'nothing more to show');
    await d.waitFor(async () => (await d.exec(`return document.activeElement?.closest('.action-row')?.dataset.testid ?? ''`)) === atRisk[50], 'the focus on the first new proposal');
    // Back on Today after a visit elsewhere: still unfolded, all 55 still listed.
    await d.click('[data-testid="nav-customer"]');
    await d.find('[data-testid="customer-list"]', 'the customers');
    await d.click('[data-testid="nav-today"]');
    await d.waitFor(async () => (await proposed()).length === 55, 'the page kept');
    assert.deepEqual(await d.axe(), [], 'axe-core on the sanctions paged');
  });
});

test('Contracts: a 30/40/30 contract made in the window, its deposit invoice issued, in Invoices and, once overdue, on Today', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'contracts');
  const pdf = path.join(dir, 'deposit.pdf');

  await withApp(4446, { RELANCE_DB: db, RELANCE_TEST_FILE: pdf }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.find('[data-testid="section-calls"]', 'the demo loaded');
    await d.click('[data-testid="nav-contract"]');
    await d.find('[data-testid="contracts-empty"]', 'no contract yet');
    await d.click('[data-testid="new-contract"]');
    await d.find('[data-testid="milestone-edit-3"]', 'the 30/40/30 schedule');
    await d.type('#k-reference', 'K-EXPO');
    await d.type('#k-customer', 'ARCH08');
    await d.type('#k-title', 'Signalétique de l\'exposition');
    await d.type('#k-total', '10000,01');
    await d.waitText('[data-testid="plan-covered"]', 'couvre exactement');
    // The amounts each milestone comes to, the odd cent on the largest remainder.
    await d.waitText('[data-testid="milestone-amount-2"]', '4 800,01');
    assert.match(await d.text('[data-testid="milestone-amount-1"]'), /3\s600,00/);
    // A schedule short of the total says what is missing before saving, and is refused.
    await d.type('[data-testid="milestone-edit-3"] td:nth-child(3) input', '20');
    await d.waitText('[data-testid="plan-gap"]', '1\u202f000,00');
    await d.screenshot(shots, '01-plan-gap');
    await d.click('[data-testid="save-contract"]');
    await d.waitText('[data-testid="contract-form"] [data-testid="notice-error"]', 'il manque');
    await d.type('[data-testid="milestone-edit-3"] td:nth-child(3) input', '30');
    await d.waitText('[data-testid="plan-covered"]', 'couvre exactement');
    await d.screenshot(shots, '02-plan');
    await d.click('[data-testid="save-contract"]');

    // The contract page: the deposit invoiced at signature, numbered after the demo's.
    await d.waitText('[data-testid="contract-title"]', 'K-EXPO');
    await d.waitText('[data-testid="milestone-1"]', 'F2026-0150');
    assert.equal(await d.exec('return document.querySelector(\'[data-testid="milestone-1"]\').dataset.state'), 'invoiced');
    // Invoicing the final milestone before the stage asks first.
    await d.click('[data-testid="reach-3"]');
    await d.waitText('[data-testid="reach-question"]', 'pas encore facturée');
    await d.screenshot(shots, '03-contract');
    // The contract page, its question open, and its cancel form: nothing for axe-core.
    const onPage = (await d.axe()).map((v) => `${v.id}: ${v.help} ${v.nodes.join(' ')}`);
    await d.click('[data-testid="cancel-contract"]');
    onPage.push(...(await d.axe()).map((v) => `cancel form: ${v.id}: ${v.help} ${v.nodes.join(' ')}`));
    await d.keys(KEYS.Escape);
    assert.deepEqual(onPage, [], onPage.join('\n'));
    await d.click('[data-testid="reach-question"] button:last-child');
    // The deposit invoice's PDF, with its mandatory mentions.
    await d.click('[data-testid="pdf-1"]');
    await d.waitFor(async () => existsSync(pdf), 'the PDF to be written');
    const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
    for (const want of ["FACTURE D'ACOMPTE", 'F2026-0150', 'SIRET', 'Cabinet d\'architectes Vidal', '40 €', 'escompte']) {
      assert.ok(text.includes(want), `${want} in the deposit invoice`);
    }
    execFileSync('pdftoppm', ['-png', '-r', '50', '-singlefile', pdf, path.join(shots, '04-deposit-invoice')]);

    // The deposit is a real invoice in Invoices; it cannot be edited.
    await d.click('[data-testid="nav-invoice"]');
    await searchList(d, 'invoice', 'F2026-0150');
    await d.click('[data-testid="invoice-row-F2026-0150"] a');
    await d.find('[data-testid="issued-note"]', 'issued by Relance');
    assert.equal((await d.findAll('[data-testid="edit-invoice"]')).length, 0);
    await d.screenshot(shots, '05-deposit-in-invoices');
  });

  // Forty-nine days later the deposit is overdue: on Today; the stage reached then raises
  // the work-ahead alert on the contract and on Today. (A restart opens the owner's ledger:
  // the demo's own file, beside it, is opened here as the ledger.)
  const schedule = path.join(dir, 'schedule.pdf');
  const demo = path.join(dir, 'demo', 'relance.sqlite');
  await withApp(4446, { RELANCE_DB: demo, RELANCE_TODAY: '2027-01-10', RELANCE_TEST_FILE: schedule }, async (d) => {
    await d.find('[data-testid="action-ARCH08/reminder/email"]', 'the deposit reminder');
    assert.match(await d.text('[data-testid="action-ARCH08/reminder/email"]'), /F2026-0150/);
    await d.click('[data-testid="nav-contract"]');
    // The list searches by customer name (and says when nothing matches).
    await d.type('[data-testid="contract-search"]', 'Opéra');
    await d.find('[data-testid="contracts-none"]', 'no contract for that search');
    await searchList(d, 'contract', 'vidal');
    await d.screenshot(shots, '06-list-searched');
    await d.click('[data-testid="contract-row-K-EXPO"] a');
    await d.click('[data-testid="reach-2"]');
    await d.waitText('[data-testid="milestone-2"]', 'F2027-0001');
    await d.waitText('[data-testid="work-ahead"]', 'Étape 2');
    await d.screenshot(shots, '07-work-ahead');
    await d.click('[data-testid="nav-today"]');
    await d.waitText('[data-testid="work-ahead-K-EXPO"]', '3\u202f600,00');
    await d.screenshot(shots, '08-today-alert');

    // Amended: a new total; the two invoiced milestones stay, the last is re-planned.
    await d.click('[data-testid="work-ahead-K-EXPO"] a');
    await d.click('[data-testid="amend-contract"]');
    await d.find('[data-testid="kept-2"]', 'the invoiced stage kept');
    await d.type('#k-total', '11000');
    await d.waitText('[data-testid="plan-gap"]', 'il manque');
    // A fixed amount replaces the share (the form keeps one of the two).
    await d.type('[data-testid="milestone-edit-1"] td:nth-child(4) input', '3999,99');
    assert.equal(await d.value('[data-testid="milestone-edit-1"] td:nth-child(3) input'), '');
    await d.waitText('[data-testid="plan-covered"]', 'couvre exactement');
    await d.screenshot(shots, '09-amend');
    await d.click('[data-testid="save-contract"]');
    await d.waitText('[data-testid="milestone-3"]', '4\u202f799,99');
    assert.match(await d.text('.kpis'), /13\s200,00/);
    // The billing schedule as PDF, in the customer's language.
    await d.click('[data-testid="schedule-pdf"]');
    await d.waitFor(async () => existsSync(schedule), 'the schedule PDF');
    const text = execFileSync('pdftotext', ['-layout', schedule, '-']).toString();
    assert.match(text, /ÉCHÉANCIER DE FACTURATION/);
    assert.match(text, /13 200,00 €/);
    execFileSync('pdftoppm', ['-png', '-r', '50', '-singlefile', schedule, path.join(shots, '10-schedule')]);
  });
});

test('Writing an invoice: two VAT rates typed, totals from the engine, issued after a question, its Factur-X PDF saved and the XML inside valid', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'write-invoice');
  const pdf = path.join(dir, 'F2026-0150.pdf');
  await withApp(4446, { RELANCE_DB: db, RELANCE_TEST_FILE: pdf }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.find('[data-testid="section-calls"]', 'the demo loaded');
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="write-invoice"]');
    await d.find('[data-testid="line-0-description"]', 'the first line');
    await d.type('#d-customer', 'ARCH08');
    const unit = (i, code) => d.exec(`const s = document.querySelector('[data-testid="line-${i}-unit"]'); s.value = '${code}'; s.dispatchEvent(new Event('change', { bubbles: true }));`);
    await d.type('[data-testid="line-0-description"]', 'Conseil en signalétique');
    await d.type('[data-testid="line-0-quantity"]', '3');
    await unit(0, 'HUR');
    await d.type('[data-testid="line-0-price"]', '83,33');
    await d.type('[data-testid="line-0-rate"]', '20');
    await d.click('[data-testid="add-line"]');
    await d.type('[data-testid="line-1-description"]', 'Brochure');
    await d.type('[data-testid="line-1-price"]', '12,35');
    await d.type('[data-testid="line-1-rate"]', '5,5');
    // 249.99 at 20 % (VAT 49.998 → 50.00) and 12.35 at 5.5 % (0.67925 → 0.68): 313.02.
    await d.waitText('[data-testid="draft-total"]', '313,02');
    assert.match(await d.text('[data-testid="draft-totals"]'), /TVA 20\s%\s*50,00/);
    assert.match(await d.text('[data-testid="draft-totals"]'), /TVA 5,5\s%\s*0,68/);
    // A discount on the whole invoice, 5 %: off each rate's lines before its VAT (249.99 −
    // 12.50 → VAT 47.50; 12.35 − 0.62 → VAT 0.65): 297.37; taken back, 313.02 again.
    await d.type('[data-testid="draft-discount"]', '5');
    await d.waitText('[data-testid="draft-total"]', '297,37');
    const discounted = await d.text('[data-testid="draft-totals"]');
    assert.match(discounted, /Total HT avant remise\s*262,34/);
    assert.match(discounted, /Remise de 5\s%\s\(TVA 20\s%\)\s*[-−]12,50/);
    assert.match(discounted, /TVA 20\s%\s*47,50/);
    await d.screenshot(shots, '00-discount');
    await d.type('[data-testid="draft-discount"]', ' ');
    await d.waitText('[data-testid="draft-total"]', '313,02');
    // An empty description is refused next to its cell, what was typed kept.
    await d.type('[data-testid="line-1-description"]', ' ');
    await d.waitText('[data-testid="draft-line-1"]', 'Ce champ');
    await d.type('[data-testid="line-1-description"]', 'Brochure');
    // Done on a site, not at the customer's address: the delivery address, checked.
    await d.click('[data-testid="draft-elsewhere"] input');
    await d.type('#d-da-street', 'Musée des Confluences');
    await d.type('#d-da-city', 'Lyon');
    await d.click('[data-testid="save-draft"]');
    await d.find('[data-testid="error-d-da-postal"]', 'the missing postal code said next to its field');
    await d.type('#d-da-postal', '69002');
    await d.screenshot(shots, '01-draft');
    // Issue asks first: it cannot be undone.
    await d.click('[data-testid="issue-draft"]');
    await d.waitText('[data-testid="issue-confirm"]', 'numéro définitif');
    const found = (await d.axe()).map((v) => `${v.id}: ${v.help} ${v.nodes.join(' ')}`);
    assert.deepEqual(found, [], found.join('\n'));
    await d.screenshot(shots, '02-question');
    await d.click('[data-testid="issue-yes"]');
    await d.find('[data-testid="issued-note"]', 'the issued invoice');
    assert.match(await d.text('h1'), /F2026-0150/);
    // Its Factur-X PDF: the XML inside, extracted by poppler, passes the official checks.
    await d.click('[data-testid="invoice-pdf"]');
    await d.waitFor(async () => existsSync(pdf), 'the PDF to be written');
    execFileSync('pdfdetach', ['-saveall', '-o', dir, pdf]);
    const xml = readFileSync(path.join(dir, 'factur-x.xml'), 'utf8');
    assert.ok(xml.includes('<ram:GrandTotalAmount>313.02</ram:GrandTotalAmount>'), xml);
    const shipTo = xml.slice(xml.indexOf('<ram:ShipToTradeParty>'), xml.indexOf('</ram:ShipToTradeParty>'));
    for (const want of ['<ram:PostcodeCode>69002</ram:PostcodeCode>', '<ram:LineOne>Musée des Confluences</ram:LineOne>', '<ram:CityName>Lyon</ram:CityName>', '<ram:CountryID>FR</ram:CountryID>']) {
      assert.ok(shipTo.includes(want), `${want} in the delivery address: ${shipTo}`);
    }
    assert.match(execFileSync('pdftotext', ['-layout', pdf, '-']).toString(), /Musée des Confluences,\s+69002 Lyon/);
    const python = process.env.RELANCE_PYTHON ?? path.join(process.env.HOME ?? '', '.cache/relance/venv/bin/python3');
    const said = execFileSync(python, [path.resolve('tests/einvoice/validate.py'), pdf, path.join(dir, 'factur-x.xml')]).toString();
    assert.equal((said.match(/0 fatal/g) ?? []).length, 2, said);
    execFileSync('pdftoppm', ['-png', '-r', '50', '-singlefile', pdf, path.join(shots, '03-invoice')]);
    await d.screenshot(shots, '04-invoice-page');
    // A credit note for one hour (83.33 + 16.67 VAT): asked first, then issued in its own
    // series, off the balance, listed with its Factur-X PDF.
    await d.click('[data-testid="open-credit-doc"]');
    await d.click('[data-testid="cd-some"]');
    await d.type('#cd-desc-0', 'Une heure de conseil');
    await d.type('#cd-price-0', '83,33');
    await d.type('#cd-rate-0', '20');
    await d.type('#cd-reason', 'Heure non effectuée');
    await d.click('[data-testid="cd-issue"]');
    await d.waitText('[data-testid="cd-confirm"]', 'numéro définitif');
    const cdFound = (await d.axe()).map((v) => `${v.id}: ${v.help} ${v.nodes.join(' ')}`);
    assert.deepEqual(cdFound, [], cdFound.join('\n'));
    await d.screenshot(shots, '05-credit-note-question');
    await d.click('[data-testid="cd-go"]');
    await d.waitText('[data-testid="credit-documents"]', 'A2026-0001');
    await d.waitText('[data-testid="invoice-balance"]', '213,02');
    rmSync(pdf);
    await d.click('[data-testid="cd-pdf"]');
    await d.waitFor(async () => existsSync(pdf), 'the credit note PDF to be written');
    const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
    assert.match(text, /AVOIR/);
    assert.match(text, /F2026-0150/);
    assert.match(text, /100,00/);
    const cdSaid = execFileSync(python, [path.resolve('tests/einvoice/validate.py'), pdf]).toString();
    assert.match(cdSaid, /Factur-X container, 0 problems/);
    assert.match(cdSaid, /0 fatal/);
    execFileSync('pdftoppm', ['-png', '-r', '50', '-singlefile', pdf, path.join(shots, '06-credit-note')]);
    await d.screenshot(shots, '07-invoice-page-credited');
  });
});

test('E-invoices in: a Factur-X PDF chosen in the file dialog, previewed, imported with the customer it names, its original and lines on the invoice page, on Today once overdue', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'einvoice-import');
  const pdf = path.join(dir, 'EXT2026-0001.pdf');
  // The owner's invoice issued on 1 October with another ledger of the same company (its
  // invoices numbered EXT…), to a customer the demo does not have: a Factur-X PDF.
  const cli = path.join(path.dirname(APP), 'relance');
  const other = path.join(dir, 'other.sqlite');
  const run = (...args) =>
    execFileSync(cli, ['--db', other, '--lang', 'en', ...args], { env: { ...process.env, RELANCE_DB: '', RELANCE_TODAY: '2026-10-01' } }).toString();
  for (const [k, v] of [['company_name', 'Atelier Lumière'], ['address', '12 rue des Arts'], ['postal_code', '69001'], ['city', 'Lyon'], ['siret', '73282932000074'], ['vat_number', 'FR44732829320'], ['invoice_prefix', 'EXT']]) {
    run('settings', 'set', k, v);
  }
  run('customer', 'add', '--reference', 'MEN', '--name', 'Menuiserie Nouvelle', '--siren', '552100554', '--address', '3 rue du Bois', '--postal-code', '75011', '--city', 'Paris');
  const draft = JSON.parse(run('invoice', 'draft', '--customer', 'MEN', '--line', 'Étagères sur mesure|2|450|20', '--line', 'Livre|1|80|5.5', '--format', 'json'));
  run('invoice', 'issue', String(draft.id), '--yes');
  run('invoice', 'pdf', 'EXT2026-0001', '--out', pdf);

  await withApp(4446, { RELANCE_DB: db, RELANCE_TEST_FILE: pdf }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.find('[data-testid="section-calls"]', 'the demo loaded');
    // From Invoices to the import screen; the file "chosen" in the dialog is previewed.
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="import-einvoices"]');
    await d.click('[data-testid="einvoice-choose"]');
    await d.waitText('[data-testid="einvoice-summary"]', '1 à importer, 0 déjà dans Relance, 0 refusé');
    const row = (await d.text('[data-testid="einvoice-row-0"]')).replace(/[\u00a0\u202f]/g, ' ');
    for (const want of ['EXT2026-0001.pdf', 'Facture EXT2026-0001', 'Factur-X, factur-x.xml', 'Menuiserie Nouvelle', 'nouveau client', '1 164,40', '31/10/2026', 'à importer']) {
      assert.ok(row.includes(want), `${want} in the preview row: ${row}`);
    }
    // The customer to create needs the owner's yes before Import is possible.
    assert.equal(await d.exec('return document.querySelector(\'[data-testid="einvoice-run"]\').disabled'), true);
    await d.waitText('[data-testid="einvoice-create-customers"]', 'Créer le nouveau client\u00a0: Menuiserie Nouvelle');
    const violations = (await d.axe()).map((v) => `${v.id}: ${v.help} ${v.nodes.join(' ')}`);
    assert.deepEqual(violations, [], violations.join('\n'));
    await d.screenshot(shots, '01-preview');
    await d.click('[data-testid="einvoice-create-customers"] input');
    await d.click('[data-testid="einvoice-run"]');
    await d.waitText('[data-testid="einvoice-import"] [data-testid="notice-success"]', 'Importé\u00a0: 1 facture, 0 avoir\u202f; 1 client créé\u202f; 0 déjà dans Relance.');
    await d.screenshot(shots, '02-imported');

    // The invoice: its lines as the e-invoice gave them, the original file kept.
    await d.click('[data-testid="nav-invoice"]');
    await d.type('[data-testid="invoice-search"]', 'EXT2026-0001');
    await d.waitFor(async () => (await d.findAll('[data-testid="invoice-row-EXT2026-0001"]')).length === 1, 'the imported invoice listed');
    await d.click('[data-testid="invoice-row-EXT2026-0001"] a');
    await d.waitText('[data-testid="original-note"]', 'Importée de EXT2026-0001.pdf (Factur-X, factur-x.xml)');
    const lines = await d.text('[data-testid="invoice-lines"]');
    for (const want of ['Étagères sur mesure', '900,00', '20 %', '180,00', '1 080,00', 'Livre', '80,00', '5,5 %', '4,40', '84,40']) {
      assert.ok(lines.replace(/[\u00a0\u202f]/g, ' ').includes(want), `${want} in the lines: ${lines}`);
    }
    await d.waitText('[data-testid="invoice-balance"]', '1\u202f164,40');
    await d.screenshot(shots, '03-invoice-page');
    // Its original saved from the page: the very bytes imported.
    const sent = readFileSync(pdf);
    rmSync(pdf);
    await d.click('[data-testid="invoice-original"]');
    await d.waitFor(async () => existsSync(pdf), 'the original to be written');
    assert.ok(readFileSync(pdf).equals(sent), 'the original saved byte for byte');

    // Due on 31 October, overdue on 22 November: on Today.
    await d.click('[data-testid="nav-today"]');
    await d.waitFor(async () => (await d.text('main')).includes('EXT2026-0001'), 'the imported invoice on Today');
    await d.screenshot(shots, '04-today');
  });
});

test('Reports: the aged balance equals the outstanding total, a cell lists its invoices, CSV export; a customer\'s payer profile', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'reports');
  const csv = path.join(dir, 'aged.csv');

  await withApp(4447, { RELANCE_DB: db, RELANCE_TEST_FILE: csv }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.find('[data-testid="section-calls"]', 'the demo loaded');
    const outstanding = (await d.text('.kpis .kpi:first-child')).replace(/^\D+/, '').trim();
    await d.click('[data-testid="nav-reports"]');
    await d.find('[data-testid="aged-table"]', 'the aged balance');
    assert.equal((await d.text('[data-testid="aged-grand-total"]')).trim(), outstanding);
    await d.click('[data-testid="aged-total-over_90"]');
    await d.waitText('[data-testid="aged-cell"]', 'F2025-0009');
    await d.screenshot(shots, '01-aged-balance');
    // By segment: the same grand total.
    await d.click('[data-testid="aged-by-segment"]');
    await d.find('[data-testid="aged-row-at_risk"]', 'the at-risk line');
    assert.equal((await d.text('[data-testid="aged-grand-total"]')).trim(), outstanding);
    await d.screenshot(shots, '01b-aged-by-segment');
    await d.click('[data-testid="aged-by-customer"]');
    await d.find('[data-testid="aged-row-TRAI12"]', 'back by customer');
    await d.click('[data-testid="aged-export"]');
    await d.waitFor(async () => existsSync(csv), 'the CSV export');
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'customer,customer_name,not_due,d1_30,d31_60,d61_90,over_90,total,currency');
    assert.match(lines[lines.length - 1], /^TOTAL,,/);
    // The same report as PDF, on the letterhead (written to the same test path).
    await d.click('[data-testid="aged-export-pdf"]');
    await d.waitFor(async () => readFileSync(csv).subarray(0, 4).toString() === '%PDF', 'the PDF export');
    assert.match(execFileSync('pdftotext', [csv, '-']).toString(), /Balance âgée au 22 novembre 2026/);
    // The payer profile on a customer's page, each figure with its invoices.
    await d.click('[data-testid="aged-row-TRAI12"] a');
    await d.find('[data-testid="payer-profile"]', 'the payer profile');
    assert.match(await d.text('[data-testid="profile-days-late"]'), /\d+,\d \/ \d+/);
    // The same in plain words, the days rounded.
    const late = (await d.text('[data-testid="profile-days-late"]')).match(/(\d+),(\d)/);
    const days = Math.round(Number(`${late[1]}.${late[2]}`));
    assert.match(await d.text('[data-testid="profile-plain"]'), new RegExp(`^Paie en moyenne ${days} jours? après l'échéance`));
    // Its segment, with the rule that fired (10,000 € credit limit, 16,327.05 € owed).
    await d.waitText('[data-testid="customer-segment"]', 'À risque');
    assert.match(await d.text('[data-testid="segment-rule"]'), /au-dessus de la limite/);
    // The owner overrides it: without a reason it is refused, with one it wins.
    await d.click('[data-testid="change-segment"]');
    await d.select('#sg-choice', 'slow_payer');
    await d.click('[data-testid="save-segment"]');
    await d.find('[data-testid="error-sg-reason"]', 'the reason is required');
    await d.type('#sg-reason', 'Paie toujours, mais lentement');
    await d.click('[data-testid="save-segment"]');
    await d.waitText('[data-testid="customer-segment"]', 'Payeur lent');
    assert.match(await d.text('[data-testid="segment-rule"]'), /choisi par vous : Paie toujours/);
    await d.screenshot(shots, '03-segment-override');
    await d.screenshot(shots, '02-payer-profile');
  });
});

test('Dashboard: the demo\'s outstanding, SVG charts under the CSP, a bucket lists its invoices', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'dashboard');

  await withApp(4449, { RELANCE_DB: db }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.find('[data-testid="section-calls"]', 'the demo loaded');
    const outstanding = (await d.text('.kpis .kpi:first-child')).replace(/^\D+/, '').trim();
    await d.click('[data-testid="nav-dashboard"]');
    await d.find('[data-testid="chart-aged"] svg rect.bar', 'the aged balance chart');
    assert.equal((await d.text('[data-testid="dash-outstanding"]')).trim(), outstanding);
    // Five aged buckets, the backlog and twelve weeks, a DSO line of twelve months.
    assert.equal((await d.findAll('[data-testid="chart-aged"] rect.bar')).length, 5);
    assert.equal((await d.findAll('[data-testid="chart-forecast"] rect.bar')).length, 13);
    assert.equal((await d.findAll('[data-testid="chart-dso"] circle.dot')).length, 12);
    assert.equal(await d.exec('return document.querySelectorAll("[style]").length'), 0, 'no inline style anywhere');
    await d.click('[data-testid="chart-aged-bar-over_90"]');
    await d.waitText('[data-testid="chart-invoices"]', 'F2025-0009');
    await d.screenshot(shots, '01-dashboard');
    await d.click('[data-testid="chart-forecast-bar-backlog"]');
    await d.waitText('[data-testid="chart-invoices"] h2', 'Attendu, pas payé');
    await d.screenshot(shots, '02-backlog');
    // Sanctions proposed on Today for customers at risk; one decided: on hold, gone from
    // the proposals, shown in the customers list.
    await d.click('[data-testid="nav-today"]');
    await d.click('[data-testid="sanctions-toggle"]');
    await d.find('[data-testid="sanction-TRAI12"]', 'a sanction proposed');
    // Another proposal put aside for later: it leaves the list, said in a message.
    const others = await d.exec('return [...document.querySelectorAll(\'[data-testid^="sanction-"]\')].map((e) => e.dataset.testid.slice(9)).filter((c) => c !== "TRAI12")');
    assert.ok(others.length > 0, 'the demo proposes more than one sanction');
    await d.click(`[data-testid="later-${others[0]}"]`);
    await d.waitText('[data-testid="notice-success"]', 'mis de côté pour une semaine');
    await d.waitFor(async () => (await d.findAll(`[data-testid="sanction-${others[0]}"]`)).length === 0, 'the proposal put aside to leave');
    await d.screenshot(shots, '03-sanctions');
    await d.click('[data-testid="hold-TRAI12"]');
    await d.click('[data-testid="confirm-hold"]');
    await d.find('[data-testid="error-h-reason"]', 'a reason is required');
    await d.type('#h-reason', 'Deux factures de plus de 90 jours');
    await d.click('[data-testid="confirm-hold"]');
    await d.waitFor(async () => (await d.findAll('[data-testid="sanction-TRAI12"]')).length === 0, 'the decided sanction to leave');
    await d.click('[data-testid="nav-customer"]');
    await d.type('[data-testid="customer-search"]', 'Saveurs');
    await d.waitText('[data-testid="customer-row-TRAI12"]', 'Bloqué');
    // A new invoice for them asks first.
    await d.click('[data-testid="customer-row-TRAI12"] a');
    await d.find('[data-testid="payer-profile"]', 'the customer page');
    await d.exec('location.hash = "#/invoices/new?customer=TRAI12"');
    await d.type('#i-number', 'HOLD-1');
    await d.type('#i-total', '100');
    await d.click('[data-testid="save-invoice"]');
    await d.find('[data-testid="hold-question"]', 'the hold question');
    await d.click('[data-testid="save-invoice"]');
    await d.waitText('[data-testid="invoice-number"]', 'HOLD-1');
    await d.find('[data-testid="invoice-hold"]', 'the hold shown on the invoice page');
    await d.click('[data-testid="nav-customer"]');
    // Customers filtered by segment, each with the rule that put them there.
    await d.select('[data-testid="customer-segment-filter"]', 'at_risk');
    await d.waitText('[data-testid="segment-row-BRAS17"]', 'limite');
    await d.screenshot(shots, '04-customers-at-risk');
    // Today grouped by payer segment.
    await d.click('[data-testid="nav-today"]');
    await d.click('[data-testid="group-by-segment"]');
    await d.find('[data-testid^="segment-group-"]', 'a segment group');
    await d.screenshot(shots, '05-today-by-segment');
  });
});

test('Settings → Data: back up, change something, restore, and hostile text shown as text', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'backup');
  const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> ${x} {{name}}';

  const letterPdf = path.join(dir, 'letter.pdf');
  // "Open to print" hands the PDF to the system viewer (xdg-open): a stand-in records it.
  const bin = path.join(dir, 'bin');
  const opened = path.join(dir, 'opened.txt');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" >> '${opened}'\n`, { mode: 0o755 });
  const env = { RELANCE_DB: db, RELANCE_TEST_FILE: letterPdf, PATH: `${bin}:${process.env.PATH}` };
  await withApp(4448, env, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.waitText('[data-testid="notice-success"]', '25 clients');
    await d.click('[data-testid="nav-settings"]');
    await d.find('[data-testid="data-section"]');
    await d.click('[data-testid="backup-now"]');
    await d.waitText('[data-testid="data-section"] [data-testid="notice-success"]', 'relance-manual-');
    await d.waitText('[data-testid="backup-list"]', '25 clients, ');
    assert.match(await d.text('[data-testid="backup-list"]'), /Manuelle/);

    // A new customer whose address and payment notes are pasted HTML and template syntax.
    await d.click('[data-testid="nav-customer"]');
    await d.click('[data-testid="new-customer"]');
    await d.type('#c-name', 'Client Ajouté');
    await d.type('#c-reference', 'AJOUT');
    await d.type('#c-address', hostile);
    await d.type('#c-payment_notes', hostile);
    await d.click('[data-testid="save-customer"]');
    await d.waitText('[data-testid="customer-name"]', 'Client Ajouté');
    await d.waitText('main', '<img src=x onerror=');
    assert.equal(await d.exec('return document.querySelectorAll("main img").length'), 0);
    assert.equal(await d.exec('return window.__pwned ?? null'), null);
    await d.screenshot(shots, '01-hostile-text');

    // An invoice for them: "1,500" is refused with both readings, the notes are shown as text.
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="new-invoice"]');
    await d.type('#i-number', 'F-AJOUT-1');
    await d.type('#i-customer', 'AJOUT');
    await d.type('#i-issue_date', '01/11/2026');
    await d.type('#i-total', '1,500');
    await d.type('#i-notes', hostile);
    await d.click('[data-testid="save-invoice"]');
    await d.waitText('[data-testid="error-i-total"]', '1,50 ou 1500');
    await new Promise((r) => setTimeout(r, 300)); // let WebKit paint the message before the shot
    await d.screenshot(shots, '01b-ambiguous-amount');
    await d.type('#i-total', '1 500');
    await d.click('[data-testid="save-invoice"]');
    await d.waitText('[data-testid="invoice-balance"]', '1\u202f500,00\u00a0€');
    await d.waitText('main', '<script>window.__pwned=2</script>');
    assert.equal(await d.exec('return document.querySelectorAll("main img, main script").length'), 0);
    assert.equal(await d.exec('return window.__pwned ?? null'), null);

    // Restore the backup: a confirmation says what is replaced with what, then the new
    // customer is gone and the data from just before is itself in the list.
    await d.click('[data-testid="nav-settings"]');
    await d.find('[data-testid="backup-list"]');
    await d.click('[data-testid="restore-one"]');
    await d.waitText('[data-testid="restore-confirm"]', '26 clients');
    assert.match(await d.text('[data-testid="restore-confirm"]'), /\(25 clients, \d+ factures, \d+ paiements\)/);
    // What the restore drops is named before it happens.
    assert.match(await d.text('[data-testid="restore-confirm"]'), /Factures enregistrées depuis, abandonnées : F-AJOUT-1\./);
    assert.match(await d.text('[data-testid="restore-confirm"]'), /Clients ajoutés depuis, abandonnés : AJOUT\./);
    await d.screenshot(shots, '02-restore-confirm');
    await d.click('[data-testid="restore-go"]');
    await d.waitText('[data-testid="data-section"] [data-testid="notice-success"]', 'Restauré : 25 clients');
    await d.waitText('[data-testid="backup-list"]', 'Avant une restauration');
    await d.screenshot(shots, '03-restored');
    await d.click('[data-testid="nav-customer"]');
    await d.type('[data-testid="customer-search"]', 'AJOUT');
    await d.waitFor(async () => (await d.findAll('[data-testid="customer-list"] tbody tr')).length === 0, 'the added customer is gone');

    // A formal demand from the invoice page: the preview shows the figures the engine
    // computed (interest to today, indemnity, total claimed), Save writes the PDF and
    // archives it, and the invoice's history shows the letter.
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="filter-all"]');
    await d.type('[data-testid="invoice-search"]', 'F2025-0009');
    // The list answers the search: only then is its row the one to click (a row of the list
    // before the search would be replaced under the click).
    await d.waitFor(async () => (await d.findAll('[data-testid^="invoice-row-"]')).length === 1, 'the search result');
    await d.click('[data-testid="invoice-row-F2025-0009"] a');
    await d.click('[data-testid="open-letter"]');
    // A formal demand was sent for it in July: the panel opens on the formal demand.
    await d.waitText('[data-testid="letter-preview"]', 'mise en demeure');
    assert.equal(await d.value('[data-testid="letter-kind"]'), 'formal_demand');
    await d.select('[data-testid="letter-kind"]', 'formal_demand');
    await d.waitText('[data-testid="letter-preview"]', 'Total réclamé');
    assert.match(await d.text('[data-testid="letter-preview"]'), /Total réclamé\s*12[\s\u202f\u00a0]115,18[\s\u202f\u00a0]€/);
    // The shipped ECB table was checked on 28/02/2026, more than six months ago: said before sending.
    await d.waitText('[data-testid="letter-warning"]', "n'est connu que jusqu'au 28/02/2026");
    await d.screenshot(shots, '04-letter-preview');
    await d.click('[data-testid="save-letter"]');
    await d.waitText('[data-testid="letter-panel"] [data-testid="notice-success"]', 'letter.pdf');
    assert.ok(existsSync(letterPdf), 'the PDF was written');
    const text = execFileSync('pdftotext', [letterPdf, '-']).toString().replace(/[\u202f\u00a0]/g, ' ');
    assert.match(text, /12 115,18 €/);
    assert.match(text, /Lettre recommandée avec accusé de réception/);
    await d.waitText('[data-kind="document_sent"]', 'Courrier envoyé');
    // Open to print: the same archived letter (no second entry), opened from a file the app wrote.
    await d.click('[data-testid="open-letter"]');
    await d.select('[data-testid="letter-kind"]', 'formal_demand');
    await d.waitText('[data-testid="letter-preview"]', 'Total réclamé');
    await d.click('[data-testid="open-letter-pdf"]');
    await d.waitText('[data-testid="letter-panel"] [data-testid="notice-success"]', 'lecteur PDF');
    await d.waitFor(async () => existsSync(opened), 'the viewer was asked to open the PDF');
    const shown = readFileSync(opened, 'utf8').trim();
    assert.match(shown, /\.pdf$/);
    assert.equal(readFileSync(shown).toString('latin1').slice(0, 5), '%PDF-');
    assert.equal((await d.findAll('[data-kind="document_sent"]')).length, 1, 'one archived letter');
    // History → Open: the very bytes that were saved earlier.
    await d.click('[data-kind="document_sent"] button');
    await d.waitFor(async () => readFileSync(opened, 'utf8').trim().split('\n').length === 2, 'the archived PDF to be opened');
    const again = readFileSync(opened, 'utf8').trim().split('\n')[1];
    assert.ok(readFileSync(again).equals(readFileSync(letterPdf)), 'the archived bytes are the saved ones');
    // The penalties to date (1 465,17 € interest + 40 € indemnity) are invoiced separately.
    await d.waitText('[data-testid="penalties-total"]', '1\u202f505,17');
    assert.match(await d.text('[data-testid="penalties"]'), /454\sj\sà\s12,15\s%\sl'an/);
    await d.click('[data-testid="issue-penalties"]');
    await d.waitText('[data-testid="invoice-number"]', 'F2026-0150');
    await d.waitText('[data-testid="invoice-balance"]', '1\u202f505,17\u00a0€');
    await d.screenshot(shots, '05-penalty-invoice');

    // The bank statement shows F2025-0009 was paid on 01/09/2026, recorded only now: the penalty invoice F2026-0150
    // charged 454 days where 372 are owed (9 695,05 € × 12,15 % × 372/365 = 1 200,54 €
    // + 40 €), 264,63 € too much. Today says so, and one click issues the credit note.
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="filter-all"]');
    await d.type('[data-testid="invoice-search"]', 'F2025-0009');
    // The list answers the search: only then is its row the one to click (a row of the list
    // before the search would be replaced under the click).
    await d.waitFor(async () => (await d.findAll('[data-testid^="invoice-row-"]')).length === 1, 'the search result');
    await d.click('[data-testid="invoice-row-F2025-0009"] a');
    await d.waitText('[data-testid="invoice-number"]', 'F2025-0009');
    await d.click('[data-testid="open-payment"]');
    await d.type('#p-date', '01/09/2026');
    await d.type('#p-amount', '9 695,05');
    await d.click('[data-testid="save-payment"]');
    await d.waitText('[data-testid="overcharge-F2025-0009"]', '264,63 € de trop pour F2025-0009');
    await d.click('[data-testid="nav-today"]');
    await d.waitText('[data-testid="overcharges"]', 'de 1 505,17 € à 1 240,54 €');
    await d.screenshot(shots, '06-overcharge-on-today');
    await d.click('[data-testid="correct-overcharge-F2025-0009"]');
    // The issued penalty invoice is corrected by a credit note document of its own series.
    await d.waitText('[data-testid="notice-success"]', 'Avoir A2026-0001 établi : 264,63 €');
    await d.waitFor(async () => (await d.findAll('[data-testid="overcharges"]')).length === 0, 'the overcharge is corrected');
  });
});

test('First run: set up the company (each field checked as typed), try the demo, leave it: the company intact, no demo data in its ledger', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'first-run');
  const sql = (file, query) => execFileSync('python3', ['-c', 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])', file, query]).toString().trim();
  await withApp(4452, { RELANCE_DB: db }, async (d) => {
    await d.find('[data-testid="company-setup"]', 'the company form first');
    await d.screenshot(shots, '01-welcome');
    // A SIRET with a wrong check digit is refused when the field is left; fixed, the
    // message goes as it is typed.
    await d.type('#cs-siret', '55210055400006');
    await d.click('#cs-iban');
    await d.waitText('[data-testid="error-cs-siret"]', 'SIRET invalide');
    await d.screenshot(shots, '02-siret-refused');
    await d.type('#cs-siret', '55210055400005');
    await d.waitFor(async () => (await d.findAll('[data-testid="error-cs-siret"]')).length === 0, 'the SIRET message to go');
    // The name is required.
    await d.click('[data-testid="save-company"]');
    await d.find('[data-testid="error-cs-company_name"]', 'the name is required');
    await d.type('#cs-company_name', 'Menuiserie Roux');
    await d.type('#cs-address', '4 rue du Port');
    await d.type('#cs-postal_code', '44000');
    await d.type('#cs-city', 'Nantes');
    await d.type('#cs-iban', 'FR10 3000 4000 0100 0123 4567 8906');
    await d.click('[data-testid="save-company"]');
    await d.waitText('[data-testid="company-ready"]', 'Menuiserie Roux est enregistrée');
    await d.screenshot(shots, '03-company-ready');
    // Nothing recorded yet: the dashboard says so, chart by chart.
    await d.click('[data-testid="nav-dashboard"]');
    await d.waitText('[data-testid="chart-aged-empty"]', 'Rien de dû');
    for (const empty of ['chart-forecast-empty', 'top-overdue-empty', 'chart-dso-empty']) await d.find(`[data-testid="${empty}"]`, empty);
    await d.screenshot(shots, '03b-dashboard-empty');
    await d.click('[data-testid="nav-today"]');

    // The demo opens in a ledger of its own, with a banner on every screen.
    await d.click('[data-testid="load-demo"]');
    await d.find('[data-testid="demo-banner"]', 'the demo banner');
    await d.find('[data-testid="action-PART21/call/phone"]', 'the demo on Today');
    await d.screenshot(shots, '04-demo');
    await d.click('[data-testid="nav-settings"]');
    await d.find('[data-testid="demo-banner"]', 'the banner on Settings too');
    assert.equal(await d.value('#s-company_name'), 'Atelier Lumen');
    assert.equal(sql(db, 'SELECT COUNT(*) FROM customers'), '0', "the owner's ledger untouched");

    // Left in one click: the owner's company, no demo banner, no demo data.
    await d.click('[data-testid="leave-demo"]');
    await d.waitText('[data-testid="company-ready"]', 'Menuiserie Roux');
    assert.equal((await d.findAll('[data-testid="demo-banner"]')).length, 0);
    await d.click('[data-testid="nav-settings"]');
    await d.find('#s-company_name');
    assert.equal(await d.value('#s-company_name'), 'Menuiserie Roux');
    assert.equal(await d.value('#s-siret'), '55210055400005');
    assert.equal(sql(db, "SELECT value FROM settings WHERE key = 'iban'"), 'FR1030004000010001234567890' + '6');
    assert.equal(sql(db, 'SELECT COUNT(*) FROM customers'), '0');
    await d.screenshot(shots, '05-back-home');
  });
});

test('First run: the company set up from elsewhere (the CLI) shows at once while the form is untouched', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const cli = process.env.RELANCE_CLI_BINARY ?? path.join(path.dirname(APP), 'relance');
  await withApp(4474, { RELANCE_DB: db }, async (d) => {
    await d.find('[data-testid="company-setup"]', 'the company form first');
    // Nothing typed in it: no reason to wait, Today follows by itself (no bar to click).
    execFileSync(cli, ['--db', db, 'settings', 'set', 'company_name', 'Menuiserie Roux'], { env: { ...process.env, RELANCE_TODAY: TODAY } });
    await d.waitText('[data-testid="company-ready"]', 'Menuiserie Roux est enregistrée');
    assert.equal((await d.findAll('[data-testid="stale-bar"]')).length, 0);
  });
});

test('Mistakes: a customer and an invoice entered by mistake deleted, one with a history refused saying what to do, a customer archived and brought back', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'mistakes');
  await withApp(4453, { RELANCE_DB: db }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.find('.kpis', 'Today');
    // A customer typed by mistake: deleted after a confirmation.
    await d.click('[data-testid="nav-customer"]');
    await d.click('[data-testid="new-customer"]');
    await d.type('#c-name', 'Client par erreur');
    await d.type('#c-reference', 'OOPS');
    await d.click('[data-testid="save-customer"]');
    await d.waitText('[data-testid="customer-name"]', 'Client par erreur');
    await d.click('[data-testid="customer-more"]');
    await d.click('[data-testid="delete-customer"]');
    await d.waitText('[data-testid="delete-confirm"]', 'Supprimer Client par erreur définitivement');
    await d.screenshot(shots, '01-delete-question');
    await d.click('[data-testid="delete-go"]');
    await d.find('[data-testid="customer-list"]', 'back on the list');
    await d.type('[data-testid="customer-search"]', 'par erreur');
    await d.find('main p.card.muted', 'no such customer any more');
    // An invoice recorded by mistake: deleted too.
    await d.exec('location.hash = "#/invoices/new?customer=BOUL01"');
    await d.type('#i-number', 'OOPS-1');
    await d.type('#i-total', '10');
    await d.click('[data-testid="save-invoice"]');
    await d.waitText('[data-testid="invoice-number"]', 'OOPS-1');
    await d.click('[data-testid="invoice-more"]');
    await d.click('[data-testid="delete-invoice"]');
    await d.click('[data-testid="delete-go"]');
    await d.find('[data-testid="invoice-list"]', 'back on the invoices');
    // A customer with invoices and payments: refused, the message says to archive.
    await d.click('[data-testid="nav-customer"]');
    await searchList(d, 'customer', 'Chevalier');
    await d.click('[data-testid="customer-row-PART21"] a');
    await d.click('[data-testid="customer-more"]');
    await d.click('[data-testid="delete-customer"]');
    await d.click('[data-testid="delete-go"]');
    await d.waitText('[data-testid="notice-error"]', 'Archivez-le');
    await d.screenshot(shots, '02-delete-refused');
    // Archived: gone from the list, found among the archived, brought back.
    await d.click('[data-testid="nav-customer"]');
    await searchList(d, 'customer', 'Miniatures');
    await d.click('[data-testid="customer-row-MUSE25"] a');
    await d.click('[data-testid="customer-more"]');
    await d.click('[data-testid="archive-customer"]');
    await d.find('[data-testid="customer-archived"]', 'the archived notice');
    await d.click('[data-testid="nav-customer"]');
    await d.type('[data-testid="customer-search"]', 'Miniatures');
    await d.find('main p.card.muted', 'not in the list');
    await d.click('[data-testid="show-archived"]');
    await d.click('[data-testid="customer-row-MUSE25"] a');
    await d.click('[data-testid="customer-more"]');
    await d.click('[data-testid="unarchive-customer"]');
    await d.waitFor(async () => (await d.findAll('[data-testid="customer-archived"]')).length === 0, 'back from the archive');
    await d.find('[data-testid="history"] li', 'the history says so');
    assert.match(await d.text('[data-testid="history"]'), /Client désarchivé[\s\S]*Client archivé/);
  });
});

test('Recording an invoice: the customer found by name, the dates typed or picked in a calendar, the due date from the terms, net and VAT give the total, a taken number said at once', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'invoice-form');
  await withApp(4454, { RELANCE_DB: db }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.find('.kpis', 'Today');
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="new-invoice"]');
    // A number already taken is refused as soon as the field is left.
    await d.type('#i-number', 'F2026-0136');
    await d.click('#i-customer');
    await d.waitText('[data-testid="error-i-number"]', 'F2026-0136');
    await d.type('#i-number', 'EXT-77');
    await d.waitFor(async () => (await d.findAll('[data-testid="error-i-number"]')).length === 0, 'the number message to go');
    // The customer by name, with the keyboard: typed, ↓, Enter; the reference shown.
    await d.type('#i-customer', 'boulang');
    await d.find('#i-customer-list [role="option"]', 'the matching customers');
    await d.keys(KEYS.ArrowDown + KEYS.Enter);
    assert.equal(await d.value('#i-customer'), 'Boulangerie Martin & Fils');
    await d.waitText('[data-testid="i-customer-ref"]', 'BOUL01');
    // The issue date picked in the calendar (the 5th of this month); the due date follows
    // from the terms (30 days).
    await d.click('[data-testid="i-issue_date-calendar"]');
    await d.find('.calendar [data-day="2026-11-05"]', 'the calendar');
    await d.screenshot(shots, '01-calendar');
    await d.click('.calendar [data-day="2026-11-05"]');
    assert.equal(await d.value('#i-issue_date'), '05/11/2026');
    await d.waitFor(async () => (await d.value('#i-due_date')) === '05/12/2026', 'the due date proposed');
    assert.match(await d.text('#i-due_date ~ .hint, .field:has(#i-due_date) .hint'), /30 jours après l'émission/);
    // Net and rate: the total is worked out, in French writing.
    await d.type('#i-net', '8079,21');
    await d.type('#i-vat_rate', '20');
    await d.waitFor(async () => (await d.value('#i-total')) === '9 695,05', 'the total worked out');
    await d.screenshot(shots, '02-filled');
    await d.click('[data-testid="save-invoice"]');
    await d.waitText('[data-testid="invoice-number"]', 'EXT-77');
    await d.waitText('[data-testid="invoice-balance"]', '9 695,05');
    // Edited: the amounts shown as the user writes them, the rate worked out again.
    await d.click('[data-testid="edit-invoice"]');
    await d.waitFor(async () => (await d.value('#i-total')) === '9 695,05', 'the total in French writing');
    assert.equal(await d.value('#i-net'), '8 079,21');
    await d.waitFor(async () => (await d.value('#i-vat_rate')) === '20', 'the rate worked out');
    assert.equal(await d.value('#i-customer'), 'Boulangerie Martin & Fils');
  });
});

test('A morning on Today by keyboard only: the main verb, "Done" and its undo, the "…" menu, a snooze', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'keyboard');
  const row = (id) => `[data-testid="action-${id}"]`;
  await withApp(4451, { RELANCE_DB: db }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.find(row('PART21/call/phone'));
    // The figures fit on one line above the work.
    const kpiHeight = await d.exec('return document.querySelector(".kpis").getBoundingClientRect().height');
    assert.ok(kpiHeight < 40, `figures on one line (${kpiHeight}px)`);
    // From the top of the page, Tab reaches the first row's main verb.
    await d.exec('document.activeElement?.blur(); window.scrollTo(0, 0)');
    let tabs = 0;
    while (!String(await d.focused()).startsWith('call-') && tabs < 60) {
      await d.keys(KEYS.Tab);
      tabs += 1;
    }
    assert.equal(await d.focused(), 'call-PART21/call/phone', `after ${tabs} tabs`);
    const name = await d.exec('return document.activeElement.getAttribute("aria-label")');
    assert.equal(name, 'Appeler — Mme Amélie Chevalier');
    // Enter on the verb opens the call sheet; Enter again closes it.
    await d.keys(KEYS.Enter);
    await d.find('[data-testid="call-script"]', 'the call sheet');
    await d.keys(KEYS.Enter);
    await d.waitFor(async () => (await d.findAll('[data-testid="call-script"]')).length === 0, 'the call sheet to close');
    // Tab to "Done", Enter: the row leaves, the focus is on the next row's verb, an undo
    // is offered; Ctrl+Z brings the row back.
    await d.keys(KEYS.Tab);
    assert.equal(await d.focused(), 'done-PART21/call/phone');
    await d.keys(KEYS.Enter);
    await d.waitText('[data-testid="undo-bar"]', 'Fait — Mme Amélie Chevalier');
    await d.waitFor(async () => (await d.findAll(row('PART21/call/phone'))).length === 0, 'the row to leave');
    await d.waitFor(async () => (await d.focused()) === 'call-HOTL03/call/phone', 'the focus on the next row');
    await d.screenshot(shots, '01-done-undo-offered');
    await d.keys(`${KEYS.Control}z${KEYS.Null}`);
    await d.waitText('[data-testid="notice-success"]', 'Annulé');
    await d.find(row('PART21/call/phone'), 'the row back after the undo');
    // The "…" menu of the next row: opened with Enter, ↓ moves, Esc closes back to it.
    await d.exec('document.querySelector(\'[data-testid="call-HOTL03/call/phone"]\').focus()');
    await d.keys(KEYS.Tab + KEYS.Tab);
    assert.equal(await d.focused(), 'more-HOTL03/call/phone');
    await d.keys(KEYS.Enter);
    await d.waitFor(async () => (await d.focused()) === 'skip-HOTL03/call/phone', 'the first item focused');
    await d.keys(KEYS.ArrowDown);
    assert.equal(await d.focused(), 'snooze-HOTL03/call/phone');
    await d.screenshot(shots, '02-menu');
    await d.keys(KEYS.Escape);
    assert.equal(await d.focused(), 'more-HOTL03/call/phone');
    assert.equal((await d.findAll('[role="menu"]')).length, 0);
    // Snooze by keyboard: the field has the focus, Enter confirms, the row leaves.
    await d.keys(KEYS.Enter);
    await d.waitFor(async () => (await d.focused()) === 'skip-HOTL03/call/phone', 'the menu again');
    await d.keys(KEYS.ArrowDown + KEYS.Enter);
    await d.waitFor(async () => (await d.focused()) === 'a-until', 'the date field focused');
    await d.keys(`01/12/2026${KEYS.Enter}`);
    await d.waitText('[data-testid="undo-bar"]', 'Reporté au 01/12/2026 — ');
    await d.waitFor(async () => (await d.findAll(row('HOTL03/call/phone'))).length === 0, 'the snoozed row to leave');
    await d.screenshot(shots, '03-snoozed');
  });
});

test('Bank: the demo statement imported, the sure matches applied in one click, a proposal accepted, Today no longer reminds those customers, the invoice shows its statement', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'bank');
  await withApp(4455, { RELANCE_DB: db }, async (d) => {
    await d.click('[data-testid="load-demo"]');
    await d.find('.kpis', 'Today');
    await d.waitText('[data-testid="today-bank"]', 'Aucun relevé importé');
    await d.click('[data-testid="nav-bank"]');
    await d.click('[data-testid="bank-apply-on-import"]');
    await d.click('[data-testid="bank-import-demo"]');
    // 10 lines read, 1 already there (the bank repeated it), 2 money out; 3 sure, 2 to check,
    // 1 unknown; a transfer the payer's bank recalled the next day is never matched.
    await d.waitText('[data-testid="bank-report"]', 'Lignes lues\u00a0: 10 · déjà importées\u00a0: 1 · sorties d\'argent\u00a0: 2 · sûres\u00a0: 3 · à vérifier\u00a0: 2 · non rapprochées\u00a0: 1');
    await d.waitText('[data-testid="bank-report"]', '1 virement rendu par la banque, jamais rapproché.');
    const rows = async (group) => d.exec(`return [...document.querySelectorAll('[data-testid="bank-group-${group}"] tbody tr[data-customer]')].map((r) => [r.dataset.customer, r.dataset.invoices])`);
    const sure = await rows('sure');
    assert.equal(sure.length, 3);
    await d.screenshot(shots, '01-imported');
    await d.click('[data-testid="bank-apply-sure"]');
    await d.waitText('[data-testid="notice-success"]', '3 paiements enregistrés depuis le relevé.');
    // The known payer's transfer: accepted as proposed.
    const proposed = await rows('proposed');
    assert.equal(proposed.length, 2);
    const [known, knownCustomer] = await d.exec('const r = [...document.querySelectorAll(\'[data-testid="bank-group-proposed"] tbody tr[data-customer]\')].find((r) => r.textContent.includes("compte connu")); return [r?.dataset.testid, r?.dataset.customer]');
    assert.ok(known, 'a proposal from a known account');
    await d.click(`[data-testid="${known.replace('bank-line-', 'bank-accept-')}"]`);
    await d.waitText('[data-testid="notice-success"]', 'Rapproché');
    // The unknown payer is set aside with a reason.
    const unknown = await d.exec('return document.querySelector(\'[data-testid="bank-group-unmatched"] tbody tr[data-customer]\').dataset.testid');
    await d.click(`[data-testid="${unknown.replace('bank-line-', 'bank-more-')}"]`);
    await d.click(`[data-testid="${unknown.replace('bank-line-', 'bank-ignore-')}"]`);
    await d.type('#bank-panel-value', 'Remboursement d\'un trop-perçu');
    await d.click('[data-testid="bank-line-confirm"]');
    await d.waitText('[data-testid="notice-success"]', 'Ligne écartée.');
    await d.screenshot(shots, '02-reviewed');
    // Today: the statement's date, and none of the customers paid is reminded.
    await d.click('[data-testid="nav-today"]');
    await d.waitText('[data-testid="today-bank"]', 'Dernier relevé\u00a0: 22/11/2026.');
    const reminded = await d.exec('return [...document.querySelectorAll(\'[data-testid^="action-"]\')].map((e) => e.dataset.testid.slice(7).split("/")[0])');
    for (const customer of [...sure.map((x) => x[0]), knownCustomer]) assert.ok(!reminded.includes(customer), `${customer} paid: not reminded (${reminded})`);
    await d.screenshot(shots, '03-today');
    // The invoice paid by reference shows the statement it came from.
    const invoice = sure[0][1].split(' ')[0];
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="filter-paid"]');
    await d.type('[data-testid="invoice-search"]', invoice);
    await d.click(`[data-testid="invoice-row-${invoice}"] a`);
    await d.waitText('[data-testid="from-statement"]', 'relevé du');
    await d.screenshot(shots, '04-invoice');
    // The link opens the Bank screen on that very line, its group unfolded.
    await d.click('[data-testid="from-statement"]');
    await d.find('tr.shown[data-testid^="bank-line-"]', 'the statement line shown');
    assert.equal(await d.exec('return document.querySelector("tr.shown").dataset.invoices'), sure[0][1]);
    // So does the customer's history: its payment entry links to the same line.
    await d.exec('history.back()');
    await d.click('a[href^="#/customers/"]');
    await d.waitText('[data-testid="history-statement-line"]', 'Ligne du relevé');
    await d.click('[data-testid="history-statement-line"]');
    await d.find('tr.shown[data-testid^="bank-line-"]', 'the statement line shown from the history');
    assert.equal(await d.exec('return document.querySelector("tr.shown").dataset.invoices'), sure[0][1]);
    const found = (await d.axe()).map((v) => `${v.id}: ${v.help} ${v.nodes.join(' ')}`);
    await d.click('[data-testid="nav-bank"]');
    await d.find('[data-testid="bank-group-matched"]');
    await d.click('[data-testid="bank-toggle-matched"]');
    found.push(...(await d.axe()).map((v) => `bank: ${v.id}: ${v.help} ${v.nodes.join(' ')}`));
    // The import listed with what it matched, undone whole after a confirmation: its
    // payments go, the invoice is due again.
    await d.waitText('[data-testid="bank-imports"]', 'releve-demo');
    const importId = await d.exec('return document.querySelector(\'[data-testid^="bank-undo-"]\').dataset.testid.slice(10)');
    await d.click(`[data-testid="bank-undo-${importId}"]`);
    await d.find(`[data-testid="bank-undo-yes-${importId}"]`);
    found.push(...(await d.axe()).map((v) => `bank undo: ${v.id}: ${v.help} ${v.nodes.join(' ')}`));
    await d.screenshot(shots, '05-undo');
    await d.click(`[data-testid="bank-undo-yes-${importId}"]`);
    await d.waitText('[data-testid="notice-success"]', `Import n°${importId} annulé`);
    assert.equal((await d.findAll('[data-testid="bank-group-matched"]')).length, 0, 'no line left');
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="filter-open"]');
    await d.type('[data-testid="invoice-search"]', invoice);
    await d.find(`[data-testid="invoice-row-${invoice}"]`, 'the invoice is open again');
    assert.deepEqual(found, [], found.join('\n'));
  });
});

test('Bank: a long statement shown fifty lines a group at a time, a folded group unfolded and paged, a line set aside on the last page stays there', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'bank-pages');
  // 130 transfers from unknown payers (nothing to match them with) and 70 card payments
  // out, one of each a day back from today: newest first, each group paged by 50.
  const day = (offset) => new Date(Date.parse(`${TODAY}T00:00:00Z`) - offset * 86400000).toISOString().slice(0, 10);
  let x = '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>'
    + '<Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>';
  const entry = (i, amount, sign, who, text) => `<Ntry><Amt Ccy="EUR">${amount}.00</Amt><CdtDbtInd>${sign}</CdtDbtInd><Sts>BOOK</Sts>`
    + `<BookgDt><Dt>${day(i)}</Dt></BookgDt><AcctSvcrRef>E2E${sign}${i}</AcctSvcrRef><NtryDtls><TxDtls><RltdPties>`
    + (sign === 'CRDT' ? `<Dbtr><Nm>${who}</Nm></Dbtr>` : `<Cdtr><Nm>${who}</Nm></Cdtr>`)
    + `</RltdPties><RmtInf><Ustrd>${text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>`;
  for (let i = 0; i < 130; i++) x += entry(i, 1000 + i, 'CRDT', `Payeur ${i}`, `VIREMENT DIVERS ${i}`);
  for (let i = 0; i < 70; i++) x += entry(i, 10 + i, 'DBIT', `Fournisseur ${i}`, `CARTE ${i}`);
  x += '</Stmt></BkToCstmrStmt></Document>';
  writeFileSync(path.join(dir, 'releve.xml'), x);
  const cli = process.env.RELANCE_CLI_BINARY ?? path.join(path.dirname(APP), 'relance');
  const env = { ...process.env, RELANCE_TODAY: TODAY };
  execFileSync(cli, ['--db', db, 'settings', 'set', 'company_name', 'Atelier Lumen'], { env });
  execFileSync(cli, ['--db', db, 'bank', 'import', path.join(dir, 'releve.xml')], { env });

  await withApp(4472, { RELANCE_DB: db }, async (d) => {
    await d.click('[data-testid="nav-bank"]');
    const rows = async (group) => d.exec(`return [...document.querySelectorAll('[data-testid="bank-group-${group}"] tbody tr[data-testid^="bank-line-"]')].map((r) => r.children[2].textContent)`);
    // The pager says the page asked at once; its lines follow.
    const pageStarts = (group, text) => d.waitFor(async () => (await rows(group))[0] === text, `${group} from ${text}`);
    await d.waitText('[data-testid="bank-group-unmatched"] h2', '(130)');
    let texts = await rows('unmatched');
    assert.equal(texts.length, 50);
    assert.equal(texts[0], 'VIREMENT DIVERS 0', 'newest first');
    assert.equal(texts[49], 'VIREMENT DIVERS 49');
    await d.waitText('[data-testid="bank-pager-unmatched"]', 'Page 1 sur 3');
    await d.screenshot(shots, '01-first-page');
    await d.click('[data-testid="bank-pager-unmatched"] button:last-of-type');
    await d.waitText('[data-testid="bank-pager-unmatched"]', 'Page 2 sur 3');
    await pageStarts('unmatched', 'VIREMENT DIVERS 50');
    texts = await rows('unmatched');
    assert.deepEqual([texts.length, texts[0], texts[49]], [50, 'VIREMENT DIVERS 50', 'VIREMENT DIVERS 99']);
    await d.click('[data-testid="bank-pager-unmatched"] button:last-of-type');
    await d.waitText('[data-testid="bank-pager-unmatched"]', 'Page 3 sur 3');
    await pageStarts('unmatched', 'VIREMENT DIVERS 100');
    texts = await rows('unmatched');
    assert.deepEqual([texts.length, texts[0], texts[29]], [30, 'VIREMENT DIVERS 100', 'VIREMENT DIVERS 129']);
    // The money out is folded: counted, read when unfolded, paged too.
    assert.equal((await rows('debit')).length, 0, 'folded: no line read');
    await d.waitText('[data-testid="bank-toggle-debit"]', 'Afficher (70)');
    await d.click('[data-testid="bank-toggle-debit"]');
    await d.waitFor(async () => (await rows('debit')).length === 50, 'fifty lines of money out');
    await d.click('[data-testid="bank-pager-debit"] button:last-of-type');
    await d.waitText('[data-testid="bank-pager-debit"]', 'Page 2 sur 2');
    await pageStarts('debit', 'CARTE 50');
    texts = await rows('debit');
    assert.deepEqual([texts.length, texts[0], texts[19]], [20, 'CARTE 50', 'CARTE 69']);
    // A line of the last page set aside: the group counts one less, the page stays.
    const last = await d.exec('return [...document.querySelectorAll(\'[data-testid="bank-group-unmatched"] tbody tr[data-testid^="bank-line-"]\')].pop().dataset.testid.slice(10)');
    await d.click(`[data-testid="bank-more-${last}"]`);
    await d.click(`[data-testid="bank-ignore-${last}"]`);
    await d.type('#bank-panel-value', 'Virement interne');
    await d.click('[data-testid="bank-line-confirm"]');
    await d.waitText('[data-testid="notice-success"]', 'Ligne écartée.');
    await d.waitText('[data-testid="bank-group-unmatched"] h2', '(129)');
    await pageStarts('unmatched', 'VIREMENT DIVERS 100');
    texts = await rows('unmatched');
    assert.deepEqual([texts.length, texts[0], texts[28]], [29, 'VIREMENT DIVERS 100', 'VIREMENT DIVERS 128']);
    await d.waitText('[data-testid="bank-group-ignored"] h2', '(1)');
    await d.screenshot(shots, '02-last-pages');
    const found = (await d.axe()).map((v) => `${v.id}: ${v.help} ${v.nodes.join(' ')}`);
    assert.deepEqual(found, [], found.join('\n'));
  });
});

test('Accessibility: axe-core finds nothing on any main screen (WCAG 2.0–2.2 A/AA, best practices)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  const db = path.join(dir, 'relance.sqlite');
  const shots = path.join(ARTIFACTS, 'a11y');
  const found = [];
  await withApp(4450, { RELANCE_DB: db }, async (d) => {
    const audit = async (name) => {
      await new Promise((r) => setTimeout(r, 300)); // let the screen settle
      for (const v of await d.axe()) found.push(`${name}: ${v.id} (${v.impact}) ${v.help}\n    ${v.nodes.slice(0, 4).join('\n    ')}`);
    };
    await audit('first run');
    await d.click('[data-testid="load-demo"]');
    await d.find('.kpis', 'Today');
    await audit('today');
    // The decisions unfolded, a row's "…" menu open, an undo offered.
    await d.click('[data-testid="sanctions-toggle"]');
    await d.click('[data-testid="more-PART21/call/phone"]');
    await d.find('[role="menu"]');
    await audit('today, menu and decisions open');
    await d.keys(KEYS.Escape);
    await d.click('[data-testid="done-PART21/call/phone"]');
    await d.find('[data-testid="undo-bar"]');
    await audit('today, undo offered');
    // Each form a row's menu opens, the call sheet, a decision put aside.
    for (const item of ['skip', 'snooze', 'promise', 'hold-action']) {
      await d.click('[data-testid^="more-"]');
      await d.find('[role="menu"]');
      const items = await d.findAll(`[role="menu"] [data-testid^="${item}-"]`);
      if (items.length === 0) { await d.keys(KEYS.Escape); continue; }
      await d.click(`[role="menu"] [data-testid^="${item}-"]`);
      await d.find('main form', `${item} form`);
      await audit(`today, ${item} form`);
      await d.keys(KEYS.Escape);
    }
    if ((await d.findAll('[data-testid^="call-"].verb')).length > 0) {
      await d.click('[data-testid^="call-"].verb');
      await d.find('[data-testid="call-sheet"]');
      await audit('today, call sheet');
      await d.keys(KEYS.Escape);
    }
    if ((await d.findAll('[data-testid^="ignore-"]')).length > 0) {
      await d.click('[data-testid^="ignore-"]');
      await d.find('#ig-reason', 'the reason to ignore a proposal');
      await audit('today, a proposal ignored');
      await d.click('[data-testid^="ignore-"]');
      await d.click('[data-testid^="payment-first-"]');
      await d.find('[data-testid="sanction-confirm"]');
      await audit('today, a sanction to confirm');
    }
    for (const [nav, ready] of [
      ['dashboard', '.chart'],
      ['customer', '[data-testid="customer-list"]'],
      ['invoice', '[data-testid="invoice-list"]'],
      ['contract', 'main h1'],
      ['reports', 'main h1'],
      ['dispute', 'main h1'],
      ['import', 'main h1'],
      ['settings', '[data-testid="data-section"]'],
    ]) {
      await d.click(`[data-testid="nav-${nav}"]`);
      await d.find(ready, nav);
      await audit(nav);
      await d.screenshot(shots, nav);
    }
    await d.click('[data-testid="nav-customer"]');
    await d.click('[data-testid="customer-list"] tbody tr a');
    await d.find('[data-testid="customer-name"]');
    await audit('customer page');
    await d.click('[data-testid="customer-payment"]');
    await d.find('[data-testid="customer-payment-form"]');
    await audit('customer page, payment form');
    await d.keys(KEYS.Escape);
    if ((await d.findAll('[data-testid="change-segment"]')).length > 0) {
      await d.click('[data-testid="change-segment"]');
      await d.find('[data-testid="segment-form"]');
      await audit('customer page, segment chosen by hand');
      await d.keys(KEYS.Escape);
    }
    await d.click('[data-testid="edit-customer"]');
    await d.find('#c-name');
    await audit('customer edited');
    // The contract page is audited where one is made (the Contracts test).
    await d.click('[data-testid="nav-contract"]');
    await d.click('[data-testid="new-contract"]');
    await d.find('[data-testid="contract-form"]');
    await audit('new contract');
    await d.click('[data-testid="nav-reports"]');
    await d.click('[data-testid="aged-by-segment"]');
    await new Promise((r) => setTimeout(r, 300));
    await audit('aged balance by segment');
    await d.click('[data-testid="nav-dispute"]');
    await d.find('main h1');
    if ((await d.findAll('[data-testid^="credit-"]')).length > 0) {
      await d.click('[data-testid^="credit-"]');
      await d.find('#d-credit');
      await audit('dispute, credit note form');
      await d.keys(KEYS.Escape);
    }
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="invoice-list"] tbody tr a');
    await d.find('[data-testid="invoice-number"]');
    await audit('invoice page');
    await d.click('[data-testid="open-letter"]');
    await d.find('[data-testid="letter-preview"]');
    await audit('letter panel');
    await d.click('[data-testid="open-payment"]');
    await d.find('#p-date');
    await audit('payment form');
    await d.keys(KEYS.Escape);
    await d.click('[data-testid="invoice-more"]');
    await d.click('[data-testid="delete-invoice"]');
    await d.find('[data-testid="delete-confirm"]');
    await audit('invoice page, delete asked');
    await d.click('[data-testid="nav-customer"]');
    await d.click('[data-testid="new-customer"]');
    await d.find('#c-name');
    await audit('new customer');
    await d.click('[data-testid="save-customer"]');
    await d.find('[data-testid="error-c-name"]');
    await audit('new customer, refused');
    await d.click('[data-testid="nav-invoice"]');
    await d.click('[data-testid="new-invoice"]');
    await d.find('#i-number');
    await audit('new invoice');
    await d.click('[data-testid="i-issue_date-calendar"]');
    await d.find('.calendar');
    await audit('new invoice, calendar open');
    await d.keys(KEYS.Escape);
    await d.type('#i-customer', 'bou');
    await d.find('#i-customer-list [role="option"]');
    await audit('new invoice, customers listed');
    // The menu names the screen shown, in the UI's language; the skip link reaches the content.
    assert.equal(await d.exec('return document.querySelector(\'nav [aria-current="page"]\')?.dataset.testid'), 'nav-invoice');
    assert.equal(await d.exec('return document.querySelector("nav").getAttribute("aria-label")'), 'Menu principal');
    await d.exec('document.querySelector(".skip-link").click()');
    assert.equal(await d.exec('return document.activeElement?.id'), 'main');

    // Every screen at 1280 and at 1024 px wide, looked at as PNGs; at both, no action row
    // wraps its buttons, no phone number breaks, and the sidebar reaches the window's foot.
    for (const width of [1280, 1024]) {
      await d.resize(width, 800);
      for (const [nav, ready] of [
        ['today', '.kpis'],
        ['dashboard', '.chart'],
        ['customer', '[data-testid="customer-list"]'],
        ['invoice', '[data-testid="invoice-list"]'],
        ['contract', 'main h1'],
        ['reports', 'main h1'],
        ['dispute', 'main h1'],
        ['import', 'main h1'],
        ['settings', '[data-testid="data-section"]'],
      ]) {
        await d.click(`[data-testid="nav-${nav}"]`);
        await d.find(ready, nav);
        await new Promise((r) => setTimeout(r, 200));
        await d.screenshot(path.join(ARTIFACTS, `screens-${width}`), nav);
        if (nav === 'today') {
          const tallest = await d.exec('return Math.max(...[...document.querySelectorAll(".row-verbs")].map((e) => e.getBoundingClientRect().height))');
          assert.ok(tallest < 45, `${width} px: the row buttons on one line (${tallest} px)`);
        }
      }
      await d.exec('window.scrollTo(0, document.body.scrollHeight)');
      const gap = await d.exec('const s = document.querySelector("nav.sidebar").getBoundingClientRect(); return window.innerHeight - s.bottom');
      assert.ok(gap <= 1, `${width} px: the sidebar reaches the foot of the window (${gap} px short)`);
      await d.click('[data-testid="nav-customer"]');
      await searchList(d, 'customer', 'Parc');
      await d.click('[data-testid="customer-row-HOTL03"] a');
      await d.find('.phone', 'a phone number');
      const lines = await d.exec('return Math.max(...[...document.querySelectorAll(".phone")].map((e) => e.getClientRects().length))');
      assert.equal(lines, 1, `${width} px: a phone number on one line`);
      await d.screenshot(path.join(ARTIFACTS, `screens-${width}`), 'customer-page');
      // The pages and forms a day also opens.
      for (const [nav, open, ready, name] of [
        ['invoice', '[data-testid="invoice-list"] tbody tr a', '[data-testid="invoice-number"]', 'invoice-page'],
        ['invoice', '[data-testid="new-invoice"]', '#i-number', 'invoice-form'],
        ['customer', '[data-testid="new-customer"]', '#c-name', 'customer-form'],
        ['contract', '[data-testid="new-contract"]', '[data-testid="contract-form"]', 'contract-form'],
      ]) {
        await d.click(`[data-testid="nav-${nav}"]`);
        await d.click(open);
        await d.find(ready, name);
        await new Promise((r) => setTimeout(r, 200));
        await d.screenshot(path.join(ARTIFACTS, `screens-${width}`), name);
      }
    }
  });
  assert.deepEqual(found, [], found.join('\n'));
});

/** Two windows on the ledger `db` (a file, or a server's postgres://…), the demo in it. */
async function twoWindows(db, shots) {
  // The owner's ledger holds the demo (the window's "Try the demo" opens a ledger of its own).
  const cli = process.env.RELANCE_CLI_BINARY ?? path.join(path.dirname(APP), 'relance');
  execFileSync(cli, ['--db', db, 'demo', '--as-of', TODAY], { env: { ...process.env, RELANCE_TODAY: TODAY } });
  const action = (id) => `[data-testid="action-${id}"]`;
  await withApp(4460, { RELANCE_DB: db }, async (a) => {
    await withApp(4462, { RELANCE_DB: db }, async (b) => {
      const call = 'PART21/call/phone';
      await a.find(action(call), 'the call in the first window');
      await b.find(action(call), 'the call in the second window');
      await a.click(`[data-testid="done-${call}"]`);
      await a.waitFor(async () => (await a.findAll(action(call))).length === 0, 'the done call to leave the first window');
      // The other window follows by itself, within a second or two.
      await b.waitFor(async () => (await b.findAll(action(call))).length === 0, 'the other window to drop the call', 5000);
      await b.screenshot(shots, '01-followed');

      // Someone typing a new customer in the second window: a change made in the first is
      // announced, not applied over what is being typed.
      await b.exec("location.hash = '#/customers/new'");
      await b.type('#c-name', 'Client en cours de saisie');
      const other = 'HOTL03/call/phone';
      await a.click(`[data-testid="done-${other}"]`);
      await b.waitText('[data-testid="stale-bar"]', 'ce formulaire reste tel que vous l’avez saisi');
      assert.equal(await b.value('#c-name'), 'Client en cours de saisie');
      assert.equal((await b.findAll('[data-testid="show-changes"]')).length, 0, 'no redraw offered on a form');
      await b.screenshot(shots, '02-typing-kept');
      assert.deepEqual(await b.axe(), [], 'axe-core with the bar shown');
      // Back on Today, what the first window did is there.
      await b.click('[data-testid="nav-today"]');
      await b.find(action('FEST15/formal_demand/registered_letter'), 'Today');
      assert.equal((await b.findAll(action(other))).length, 0);
      assert.equal((await b.findAll('[data-testid="stale-bar"]')).length, 0);
      // On Today with a row's form open, a change is announced with the way to see it, even
      // when the focus left the form (what is typed in it stays theirs).
      await b.click('[data-testid="more-ECOL10/courtesy/email"]');
      await b.click('[data-testid="snooze-ECOL10/courtesy/email"]');
      await b.find('[data-testid="action-form"] #a-until', 'the snooze form');
      await b.exec('document.activeElement?.blur()');
      await a.click('[data-testid="more-ECOL10/courtesy/email"]');
      await a.click('[data-testid="skip-ECOL10/courtesy/email"]');
      await a.type('#a-reason', 'Client prévenu par téléphone');
      await a.click('[data-testid="action-confirm"]');
      await b.find('[data-testid="show-changes"]', 'the way to see the changes');
      await b.screenshot(shots, '03-announced');
      await b.keys(KEYS.Escape);
      await b.click('[data-testid="show-changes"]');
      await b.waitFor(async () => (await b.findAll(action('ECOL10/courtesy/email'))).length === 0, 'the skipped courtesy to leave');
    });
  });
}

test('Two windows on one ledger file: one marks an action done and the other\'s Today drops it without a reload; a form being typed in is left alone', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
  await twoWindows(path.join(dir, 'relance.sqlite'), path.join(ARTIFACTS, 'two-windows'));
});

test('A shared ledger whose server stops answering: a banner, what is on screen stays, a click says nothing was saved; back by itself when the server is', async (t) => {
  if (!process.env.RELANCE_PG_TESTS) {
    t.skip('RELANCE_PG_TESTS is not set (./dev test runs these tests beside a throw-away PostgreSQL)');
    return;
  }
  // pg_virtualenv's own cluster, stopped and started under the window.
  const cluster = (verb) => execFileSync('pg_ctlcluster', [process.env.PGVERSION, 'regress', verb], { stdio: 'ignore' });
  const name = `relance_e2e_down_${process.pid}`;
  execFileSync('createdb', [name]);
  const db = `postgres:///${name}`;
  const cli = process.env.RELANCE_CLI_BINARY ?? path.join(path.dirname(APP), 'relance');
  execFileSync(cli, ['--db', db, 'demo', '--as-of', TODAY], { env: { ...process.env, RELANCE_TODAY: TODAY } });
  const doneEntries = () => JSON.parse(execFileSync(cli, ['--db', db, 'history', '--customer', 'PART21', '--format', 'json'], { env: { ...process.env, RELANCE_TODAY: TODAY } }).toString())
    .filter((e) => e.kind === 'action_done').length;
  const before = doneEntries();
  const shots = path.join(ARTIFACTS, 'server-down');
  const call = 'PART21/call/phone';
  const row = `[data-testid="action-${call}"]`;
  try {
    await withApp(4466, { RELANCE_DB: db }, async (a) => {
      await a.find(row, 'the call on Today');
      cluster('stop');
      try {
        await a.find('[data-testid="server-banner"]', 'the banner saying the server does not answer');
        assert.equal((await a.findAll(row)).length, 1, 'what was on screen stays');
        await a.click(`[data-testid="done-${call}"]`);
        await a.waitText('[data-testid="notice-error"]', "ne répond pas");
        assert.equal((await a.findAll(row)).length, 1, 'the call is still to do');
        await a.screenshot(shots, '01-server-away');
        assert.deepEqual(await a.axe(), [], 'axe-core with the banner shown');
        // A form filled in meanwhile keeps what was typed and says it could not be saved.
        await a.exec("location.hash = '#/customers/new'");
        await a.type('#c-name', 'Client saisi pendant la coupure');
        await a.type('#c-reference', 'COUPURE');
        await a.click('[data-testid="save-customer"]');
        await a.waitText('[data-testid="notice-error"]', 'ne répond pas');
        assert.equal(await a.value('#c-name'), 'Client saisi pendant la coupure');
        await a.exec('window.scrollTo(0, 0)');
        await a.screenshot(shots, '02-form-kept');
      } finally {
        cluster('start');
      }
      // The window notices by itself (its watcher listens again); what was typed is saved
      // by the same click, and the call done from Today.
      await a.waitFor(async () => (await a.findAll('[data-testid="server-banner"]')).length === 0, 'the banner to go', 20000);
      assert.equal(await a.value('#c-name'), 'Client saisi pendant la coupure');
      await a.click('[data-testid="save-customer"]');
      await a.waitText('[data-testid="customer-name"]', 'Client saisi pendant la coupure');
      await a.click('[data-testid="nav-today"]');
      await a.find(row, 'the call, still to do');
      await a.click(`[data-testid="done-${call}"]`);
      await a.waitFor(async () => (await a.findAll(row)).length === 0, 'the call done once the server is back');
      await a.screenshot(shots, '03-server-back');
    });
    assert.equal(doneEntries(), before + 1, 'the call recorded once: the click while away saved nothing');
  } finally {
    execFileSync('dropdb', ['--force', name]);
  }
});

test('Two windows on one shared ledger on a PostgreSQL server: the same, through the server\'s notifications', async (t) => {
  if (!process.env.RELANCE_PG_TESTS) {
    t.skip('RELANCE_PG_TESTS is not set (./dev test runs these tests beside a throw-away PostgreSQL)');
    return;
  }
  const name = `relance_e2e_${process.pid}`;
  execFileSync('createdb', [name]);
  try {
    await twoWindows(`postgres:///${name}`, path.join(ARTIFACTS, 'two-windows-server'));
    // Settings → Shared ledger, from a window on its own (empty) file: the address tested
    // (what is there, nothing written), then used; the window starts over on the server's
    // Today; back to the file. The choice is remembered in this test's own data folder.
    const dir = mkdtempSync(path.join(tmpdir(), 'relance-e2e-'));
    const shots = path.join(ARTIFACTS, 'shared-ledger');
    await withApp(4464, { RELANCE_DB: path.join(dir, 'relance.sqlite'), XDG_DATA_HOME: dir }, async (d) => {
      await d.exec("location.hash = '#/settings'");
      await d.type('#shared-address', 'postgres://u:secret@localhost/x');
      await d.click('[data-testid="test-server"]');
      await d.waitText('[data-testid="notice-error"]', 'mot de passe');
      await d.type('#shared-address', `postgres:///${name}`);
      await d.click('[data-testid="test-server"]');
      await d.waitText('[data-testid="server-check"]', '25 clients');
      // How the session is protected (the test server may or may not offer TLS).
      assert.match(await d.text('[data-testid="server-tls"]'), /^La connexion (est|n’est pas) chiffrée/);
      await d.exec("document.querySelector('[data-testid=\"shared-ledger\"]').scrollIntoView()");
      await d.screenshot(shots, '01-tested');
      assert.deepEqual(await d.axe(), [], 'axe-core on Settings with the check shown');
      await d.click('[data-testid="use-server"]');
      await d.find('[data-testid="action-FEST15/formal_demand/registered_letter"]', 'the server ledger\'s Today');
      assert.equal(readFileSync(path.join(dir, 'relance', 'shared-ledger'), 'utf8').trim(), `postgres:///${name}`);
      await d.exec("location.hash = '#/settings'");
      await d.waitText('[data-testid="ledger-place"]', `postgres:///${name}`);
      assert.equal((await d.findAll('#s-user_name')).length, 0, 'no name to type: the account names who did what');
      await d.exec("document.querySelector('[data-testid=\"shared-ledger\"]').scrollIntoView()");
      await d.screenshot(shots, '02-on-server');
      await d.click('[data-testid="use-file"]');
      await d.find('[data-testid="load-demo"]', 'the empty file\'s first run');
      assert.equal(existsSync(path.join(dir, 'relance', 'shared-ledger')), false);
    });
  } finally {
    execFileSync('dropdb', ['--force', name]);
  }
});
