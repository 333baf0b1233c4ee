// A minimal W3C WebDriver client over fetch, enough to drive the real Relance window
// through tauri-driver. No dependency: Node's own fetch and test runner.
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import path from 'node:path';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
/** axe-core's browser build, from the UI's development packages (npm ci installs it). */
const AXE = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../ui/node_modules/axe-core/axe.min.js'), 'utf8');

/** W3C WebDriver key codes. */
export const KEYS = { Null: '\uE000', Tab: '\uE004', Enter: '\uE007', Escape: '\uE00C', ArrowUp: '\uE013', ArrowDown: '\uE015', Control: '\uE009' };

export class Driver {
  constructor(port) {
    this.base = `http://127.0.0.1:${port}`;
    this.session = null;
  }

  async req(method, url, body) {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${url}: ${JSON.stringify(json.value)}`);
    return json.value;
  }

  s(url) {
    return `/session/${this.session}${url}`;
  }

  /** Asks for a session, which launches the app; returns once the session exists. */
  async open(application) {
    const value = await this.req('POST', '/session', {
      capabilities: { alwaysMatch: { 'tauri:options': { application } } },
    });
    this.session = value.sessionId;
  }

  /** Launches the app and waits until its shell (the navigation) is on screen. */
  async start(application) {
    await this.open(application);
    await this.waitFor(async () => (await this.exec('return document.readyState')) === 'complete');
    await this.waitFor(async () => (await this.findAll('nav a')).length > 0, 'the app shell');
  }

  async quit() {
    if (this.session) await this.req('DELETE', this.s(''));
    this.session = null;
  }

  exec(script, args = []) {
    return this.req('POST', this.s('/execute/sync'), { script, args });
  }

  /**
   * Runs axe-core (from the UI's npm packages) on the page as it is, with the WCAG 2.0–2.2
   * A/AA and best-practice rules; returns the violations, each with the elements at fault.
   * The script goes in through WebDriver, which the page's CSP does not govern.
   */
  async axe() {
    if ((await this.exec('return typeof window.axe')) !== 'object') {
      await this.exec(`${AXE}\nreturn typeof window.axe;`);
    }
    const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
    const out = await this.req('POST', this.s('/execute/async'), {
      script: `const done = arguments[arguments.length - 1];
        window.axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(tags)} }, resultTypes: ['violations'] })
          .then((r) => done(JSON.stringify(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(' ') + ' :: ' + (n.failureSummary || '').replace(/\\s+/g, ' ')) })))))
          .catch((e) => done(JSON.stringify([{ id: 'axe-error', help: String(e), nodes: [] }])));`,
      args: [],
    });
    return JSON.parse(out);
  }

  async findAll(css) {
    const els = await this.req('POST', this.s('/elements'), { using: 'css selector', value: css });
    return els.map((e) => e[ELEMENT]);
  }

  /** Waits until an element matching `css` exists, and returns it. */
  async find(css, what = css) {
    let found;
    await this.waitFor(async () => {
      const els = await this.findAll(css);
      found = els[0];
      return found !== undefined;
    }, what);
    return found;
  }

  async click(css) {
    const el = await this.find(css);
    await this.req('POST', this.s(`/element/${el}/click`), {});
  }

  /**
   * Clears a field and types into it, as a person would. A field the page re-renders between
   * the find and the keys (a filter just clicked redraws the list and its search box) leaves
   * WebKitWebDriver holding a detached element, which it reports in several ways ("stale
   * element", "Could not parse element file upload information"); the field is then found
   * again and typed afresh. Clearing first keeps a retry from typing the text twice.
   */
  async type(css, text) {
    await this.waitFor(async () => {
      const el = await this.find(css);
      await this.req('POST', this.s(`/element/${el}/clear`), {});
      if (text !== '') await this.req('POST', this.s(`/element/${el}/value`), { text });
      return true;
    }, `typing into ${css}`);
  }

  async text(css) {
    const el = await this.find(css);
    return this.req('GET', this.s(`/element/${el}/text`));
  }

  async value(css) {
    const el = await this.find(css);
    return this.req('GET', this.s(`/element/${el}/property/value`));
  }

  async select(css, value) {
    await this.click(`${css} option[value="${value}"]`);
  }

  async waitFor(check, what = 'condition', timeoutMs = 15000) {
    const end = Date.now() + timeoutMs;
    let last;
    while (Date.now() < end) {
      try {
        if (await check()) return;
      } catch (e) {
        last = e;
      }
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
  }

  /** Waits until the element's text contains `expected`. WebDriver's text algorithm turns
   *  no-break spaces (French money: "1 200,00 €") into plain spaces, so both sides are
   *  compared with spaces normalised. */
  async waitText(css, expected) {
    const norm = (s) => s.replace(/[\u00a0\u202f]/g, ' ');
    let last = '';
    await this.waitFor(async () => {
      last = await this.text(css);
      return norm(last).includes(norm(expected));
    }, `"${expected}" in ${css} (last: "${last}")`);
  }

  /** Types keys into whatever has the focus, as a person at the keyboard would (W3C key
   *  codes: KEYS.Tab, KEYS.Enter, …; a modifier stays down until KEYS.Null). */
  async keys(text) {
    const active = (await this.req('GET', this.s('/element/active')))[ELEMENT];
    await this.req('POST', this.s(`/element/${active}/value`), { text });
  }

  /** Sets the window's size (outer size, in CSS pixels). */
  async resize(width, height) {
    await this.req('POST', this.s('/window/rect'), { width, height });
    await this.waitFor(async () => (await this.exec('return window.innerWidth')) <= width, `a window ${width} px wide`);
  }

  /** The data-testid (or id) of the focused element. */
  focused() {
    return this.exec('const a = document.activeElement; return a ? (a.dataset.testid || a.id || a.tagName) : null');
  }

  async screenshot(dir, name) {
    mkdirSync(dir, { recursive: true });
    const b64 = await this.req('GET', this.s('/screenshot'));
    writeFileSync(path.join(dir, `${name}.png`), Buffer.from(b64, 'base64'));
  }
}

/** WebKitWebDriver is started by tauri-driver outside its process group: an orphan would
 *  keep the native port and serve the next session an app on the previous database. */
function killNativeDriver(nativePort) {
  spawnSync('pkill', ['-f', `WebKitWebDriver --port=${nativePort}`]);
}

/** Starts tauri-driver in its own process group with `env`; returns a stop function. */
export async function startTauriDriver(port, env) {
  killNativeDriver(port + 1);
  const child = spawn('tauri-driver', ['--port', String(port), '--native-port', String(port + 1)], {
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const driver = new Driver(port);
  await driver.waitFor(async () => {
    const res = await fetch(`${driver.base}/status`);
    return res.ok;
  }, `tauri-driver on port ${port} (${stderr})`);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Stops the whole process group (tauri-driver, WebKitWebDriver, the app) and waits until
  // the port is free again, so the next launch can bind it.
  return async () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await Promise.race([exited, sleep(5000)]);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    killNativeDriver(port + 1);
    await driver.waitFor(async () => {
      try {
        await fetch(`${driver.base}/status`);
        return false;
      } catch {
        return true;
      }
    }, `port ${port} to be free`);
  };
}

/** Runs `body` with `application` open through tauri-driver on `port` with `env`, checks
 *  that no screen tripped the Content-Security-Policy (inline script or style, foreign
 *  source), keeps a screenshot in `failures` when something fails, and quits the app. */
export async function withApp({ port, env, application, failures }, body) {
  const stop = await startTauriDriver(port, env);
  const d = new Driver(port);
  try {
    await d.start(application);
    await body(d);
    const violations = await d.exec('return window.__cspViolations ?? ["listener missing"]');
    assert.deepEqual(violations, [], 'CSP violations');
  } catch (e) {
    await d.screenshot(failures, `port-${port}-${Date.now()}`).catch(() => {});
    throw e;
  } finally {
    await d.quit().catch(() => {});
    await stop();
  }
}
