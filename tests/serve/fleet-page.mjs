// SPDX-License-Identifier: GPL-2.0-or-later
// Drives Debian's headless Chromium over the DevTools protocol (on a pipe:
// --remote-debugging-pipe, no library) to look at the fleet page the way an
// operator's browser does: the token as an Authorization header on every
// request, the page's own script rendering and polling.
//
//   node fleet-page.mjs CHROMIUM URL TOKEN USERDIR SPKI SCREENSHOT [REPORT.json]
//
// Prints one JSON object: what the DOM shows ("before"), and, when a report
// file is given, what it shows after that report was POSTed and the page
// updated itself ("after"). Saves a screenshot of the final page.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const [chrome, url, token, userDir, spki, shot, reportFile] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const proc = spawn(chrome, [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--remote-debugging-pipe', `--user-data-dir=${userDir}`,
  `--ignore-certificate-errors-spki-list=${spki}`, 'about:blank',
], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
const toChrome = proc.stdio[3], fromChrome = proc.stdio[4];

let nextId = 0, buf = '';
const pending = new Map();
fromChrome.on('data', (d) => {
  buf += d;
  for (let i; (i = buf.indexOf('\0')) >= 0;) {
    const m = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
  }
});
function send(method, params = {}, sessionId) {
  return new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
    toChrome.write(JSON.stringify({ id, method, params, sessionId }) + '\0');
  });
}

const timer = setTimeout(() => { console.error('fleet-page: timed out'); proc.kill('SIGKILL'); process.exit(2); }, 90000);
try {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const S = (m, p) => send(m, p, sessionId);
  await S('Network.enable');
  await S('Network.setExtraHTTPHeaders', { headers: { Authorization: `Bearer ${token}` } });
  await S('Page.enable');
  await S('Emulation.setDeviceMetricsOverride', { width: 1400, height: 1100, deviceScaleFactor: 1, mobile: false });
  await S('Page.navigate', { url });
  const evaluate = async (expression) =>
    (await S('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })).result.value;
  const waitFor = async (expression, ms) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
      try { if (await evaluate(expression)) return; } catch { /* page still loading */ }
    }
    throw new Error(`timed out waiting for ${expression}`);
  };
  // What the DOM shows, read from the rendered elements (not the data).
  const facts = `(() => {
    const counts = {};
    for (const d of document.querySelectorAll('#counts .count')) counts[d.dataset.outcome] = Number(d.querySelector('b').textContent);
    const rows = [...document.querySelectorAll('#machines tbody tr')].map((tr) => ({
      name: tr.cells[0].textContent, outcome: tr.cells[4].textContent,
      key_id: tr.querySelector('.key-id').textContent, crash: tr.querySelector('.crash').textContent }));
    const crash_groups = [...document.querySelectorAll('#crash-groups tbody tr')].map((tr) => [tr.cells[0].textContent, Number(tr.cells[1].textContent)]);
    return { title: document.title, state: document.getElementById('state').textContent, counts, rows, crash_groups,
             updated: document.getElementById('updated').textContent };
  })()`;
  await waitFor(`document.querySelectorAll('#counts .count').length > 0`, 30000);
  const result = { before: await evaluate(facts) };
  if (reportFile) {
    const fixedBefore = result.before.counts.fixed;
    const r = await fetch(new URL('/v1/reports', url), {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: readFileSync(reportFile) });
    result.post_status = r.status;
    await waitFor(`Number(document.querySelector('#count-fixed b').textContent) > ${fixedBefore}`, 20000);
    result.after = await evaluate(facts);
  }
  const png = await S('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
  writeFileSync(shot, Buffer.from(png.data, 'base64'));
  console.log(JSON.stringify(result));
  await send('Browser.close').catch(() => {});
} catch (e) {
  console.error(`fleet-page: ${e.message}`);
  proc.kill('SIGKILL');
  process.exit(1);
} finally {
  clearTimeout(timer);
}
