// Start-up and memory of the installed app (`./dev bench`, after the .deb is installed):
// - cold start to a usable Today screen on the demo data, median of 5: the file cache is
//   dropped before each start when the machine allows it (root), the clock starts when the
//   WebDriver session is requested (which launches the app) and stops when Today shows its
//   figures and its calls;
// - idle memory (PSS, summed over the app and every process it started: WebKit's web and
//   network processes) 8 s after start, against an empty Tauri window built with the same Tauri
//   and profile (src-tauri/examples/empty_window), measured in turn in the same run, median of
//   3 each. The empty window is measured twice: showing an empty page, and showing a page that
//   paints a heading and a line of text (hello.html), since painting anything costs memory.
// Usage: node tests/bench/startup.mjs APP CLI EMPTY_WINDOW
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Driver, startTauriDriver } from '../e2e/webdriver.mjs';

const [APP, CLI, EMPTY] = process.argv.slice(2);
const TODAY = '2026-11-22';
const PORT = 4460;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const home = mkdtempSync(path.join(tmpdir(), 'relance-bench-home-'));
const env = { ...process.env, HOME: home, XDG_DATA_HOME: '', RELANCE_DB: '', RELANCE_TODAY: TODAY, NO_AT_BRIDGE: '1' };
execFileSync(CLI, ['demo', '--as-of', TODAY], { env });

function dropCaches() {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

async function startOnce(cold) {
  const stop = await startTauriDriver(PORT, env);
  const dropped = cold ? dropCaches() : false;
  const d = new Driver(PORT);
  const t0 = performance.now();
  try {
    await d.open(APP);
    // Usable: the outstanding figure and the day's calls are on screen.
    for (;;) {
      const ready = await d
        .exec(
          'return !!document.querySelector(".kpis") && document.querySelectorAll("[data-testid=\\"section-calls\\"] .action-row").length === 2',
        )
        .catch(() => false);
      if (ready) break;
      if (performance.now() - t0 > 30000) throw new Error('Today did not show within 30 s');
      await sleep(5);
    }
    return { ms: performance.now() - t0, dropped };
  } finally {
    await d.quit().catch(() => {});
    await stop();
  }
}

/** Every process in the tree rooted at `pid`. */
function tree(pid) {
  const children = new Map();
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  const all = [];
  const walk = (p) => {
    all.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return all;
}

function memory(pids) {
  let pss = 0;
  let rss = 0;
  const names = [];
  for (const p of pids) {
    try {
      const rollup = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      pss += Number(rollup.match(/^Pss:\s+(\d+) kB/m)[1]);
      rss += Number(rollup.match(/^Rss:\s+(\d+) kB/m)[1]);
      names.push(readFileSync(`/proc/${p}/comm`, 'utf8').trim());
    } catch {
      // a kernel thread or gone
    }
  }
  return { pss, rss, names };
}

async function idle(binary, args = []) {
  const child = spawn(binary, args, { env, stdio: 'ignore' });
  await sleep(8000);
  const m = memory(tree(child.pid));
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return m;
}

const cold = [];
for (let i = 0; i < 5; i++) cold.push(await startOnce(true));
const warm = [];
for (let i = 0; i < 5; i++) warm.push(await startOnce(false));
const app = [];
const empty = [];
const hello = [];
for (let i = 0; i < 3; i++) {
  app.push(await idle(APP));
  empty.push(await idle(EMPTY));
  hello.push(await idle(EMPTY, ['hello.html']));
}
const mb = (kb) => (kb / 1024).toFixed(1);
const appPss = median(app.map((m) => m.pss));
const emptyPss = median(empty.map((m) => m.pss));
const helloPss = median(hello.map((m) => m.pss));
console.log(`Cold start to a usable Today (demo data), file cache ${cold[0].dropped ? 'dropped before each start' : 'NOT dropped (not root)'}:`);
console.log(`  runs ${cold.map((r) => r.ms.toFixed(0)).join(', ')} ms; median ${median(cold.map((r) => r.ms)).toFixed(0)} ms`);
console.log(`Warm start (cache kept): runs ${warm.map((r) => r.ms.toFixed(0)).join(', ')} ms; median ${median(warm.map((r) => r.ms)).toFixed(0)} ms`);
console.log(`Idle memory 8 s after start, PSS summed over ${app[0].names.join(', ')}:`);
console.log(`  Relance on the demo: ${app.map((m) => mb(m.pss)).join(', ')} MB; median ${mb(appPss)} MB (RSS ${mb(median(app.map((m) => m.rss)))} MB)`);
console.log(`  empty Tauri window, empty page: ${empty.map((m) => mb(m.pss)).join(', ')} MB; median ${mb(emptyPss)} MB (RSS ${mb(median(empty.map((m) => m.rss)))} MB)`);
console.log(`  empty Tauri window, a heading and a line of text: ${hello.map((m) => mb(m.pss)).join(', ')} MB; median ${mb(helloPss)} MB (RSS ${mb(median(hello.map((m) => m.rss)))} MB)`);
console.log(`  ratio ${(appPss / emptyPss).toFixed(2)}x the empty page; ${(appPss / helloPss).toFixed(2)}x the page with text`);
