// browser.js BUILD_DIR SOURCE_DIR: drives Debian's Chromium (headless, through playwright-core,
// which downloads no browser) against the example servers on loopback ports the kernel picks:
//
//   examples/www served by ymawky-serve: the page loads with no console error, and a reload
//     revalidates it with 304 (read in the server's access log);
//   examples/firmware-ui: the page loads with no console error and shows the settings also with
//     JavaScript off; its status panel is live over Server-Sent Events (an EventSource receives
//     three "status" events, the panel's uptime moves, the page does not poll /api/status); a
//     reload is a 304; the settings form saves (and a reload shows the saved values); a firmware image uploaded through the page is installed, with progress shown; a bad
//     image is refused with the device's reason in the page;
//   a <video> seeks in a clip made with ffmpeg now, served by ymawky-serve from a temporary root:
//     206 answers to Range requests are served and currentTime moves.
//
// Screenshots go to BUILD_DIR/browser-screenshots/. Every wait has a deadline, and the whole run
// one more. Prints one line per check and "browser: N passed, N failed"; exits non-zero on a
// failure. run.sh checks the prerequisites (and skips, exit 77, without them).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const { chromium } = require(path.resolve(process.env.YMK_NODE_MODULES, 'playwright-core'));

const [build, src] = process.argv.slice(2);
const WAIT_MS = 15000;   // one wait: a page load, a server's line, an upload
const RUN_MS = 200000;   // the whole run
const shots = path.join(build, 'browser-screenshots');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ymk-browser-'));

let passed = 0, failed = 0;
function check(ok, what, detail) {
  if (ok) {
    passed++;
    console.log('ok: ' + what);
  } else {
    failed++;
    console.log('FAIL: ' + what + (detail !== undefined ? ': ' + detail : ''));
  }
  return ok;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls cond() until it is true or the deadline passes; returns its last value.
async function waitFor(cond, ms = WAIT_MS) {
  const end = Date.now() + ms;
  for (;;) {
    const v = cond();
    if (v || Date.now() >= end) return v;
    await sleep(25);
  }
}

// ---- servers --------------------------------------------------------------------------------

const servers = [];

// Starts a program that prints its port on stderr ("listening on port N" or "serving ... on port
// N"); keeps every stderr line (the access log of ymawky-serve) in server.lines.
function startServer(name, argv) {
  return new Promise((resolve, reject) => {
    const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    const s = { name, proc, lines: [], port: 0, exited: null };
    servers.push(s);
    let partial = '';
    const timer = setTimeout(() => reject(new Error(name + ' did not say its port')), WAIT_MS);
    proc.stderr.on('data', (d) => {
      partial += d;
      let i;
      while ((i = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, i);
        partial = partial.slice(i + 1);
        s.lines.push(line);
        const m = /(?:listening|serving .*) on port (\d+)/.exec(line);
        if (m && !s.port) {
          s.port = Number(m[1]);
          // firmware-ui says "(https)" when it serves TLS with its self-signed certificate.
          s.url = (/listening on port \d+ \(https\)/.test(line) ? 'https://localhost:' : 'http://127.0.0.1:') + s.port;
          clearTimeout(timer);
          resolve(s);
        }
      }
    });
    proc.on('exit', (code, sig) => {
      s.exited = { code, sig };
      clearTimeout(timer);
      if (!s.port) reject(new Error(name + ' exited (' + code + ', ' + sig + '): ' + s.lines.join(' | ')));
    });
  });
}

// Access-log lines of a ymawky-serve for one request line and status.
function logged(s, request, status) {
  return s.lines.filter((l) => l.includes('"' + request + ' HTTP/1.1" ' + status + ' ')).length;
}

// SIGTERM; a server must exit cleanly (0) within the deadline.
async function stopServer(s) {
  if (!s.exited) s.proc.kill('SIGTERM');
  await waitFor(() => s.exited !== null, WAIT_MS);
  if (!s.exited) s.proc.kill('SIGKILL');
  return s.exited && s.exited.code === 0;
}

// ---- pages ----------------------------------------------------------------------------------

// Collects what a page reports as a problem: console errors, uncaught exceptions, failed requests
// and answers of 400 or more.
function watch(page) {
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('requestfailed', (r) => {
    const why = (r.failure() || {}).errorText;
    // A media element cancels the rest of a Range answer when it seeks elsewhere, and a page that
    // reloads or closes ends its event stream: not problems.
    if ((r.resourceType() === 'media' || r.resourceType() === 'eventsource') && why === 'net::ERR_ABORTED') return;
    problems.push('failed: ' + r.url() + ' ' + why);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(r.status() + ' for ' + r.url()); });
  return problems;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
}

// A firmware image: magic, payload, CRC-32 of both (little-endian), as the device wants it.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function image(magic, payloadBytes) {
  const payload = Buffer.alloc(payloadBytes);
  for (let i = 0; i < payloadBytes; i++) payload[i] = (i * 7 + (i >> 8)) & 0xff;
  const body = Buffer.concat([Buffer.from(magic + '\n'), payload]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body));
  return Buffer.concat([body, crc]);
}

// ---- the checks -----------------------------------------------------------------------------

async function checkWww(context) {
  const www = await startServer('ymawky-serve (examples/www)', [path.join(build, 'examples/ymawky-serve'),
    '--root', path.join(src, 'examples/www'), '--listen', '127.0.0.1:0']);
  const page = await context.newPage();
  const problems = watch(page);
  const r = await page.goto(www.url + '/', { waitUntil: 'load' });
  check(r && r.status() === 200, 'www: GET / is 200', r && r.status());
  check((await page.title()).length > 0, 'www: the page has a title');
  await page.waitForLoadState('networkidle', { timeout: WAIT_MS }).catch(() => {});
  check(problems.length === 0, 'www: no console error, failed request or 4xx/5xx', problems.join('; '));
  await shot(page, 'www');

  await page.reload({ waitUntil: 'load' });
  const got = await waitFor(() => logged(www, 'GET /', 304) > 0);
  check(got, 'www: the reload revalidated / with 304 (access log)',
    www.lines.filter((l) => l.includes('"GET / ')).join(' | '));
  check(problems.length === 0, 'www: no problem after the reload', problems.join('; '));
  await page.close();
  check(await stopServer(www), 'www: ymawky-serve exits cleanly on SIGTERM', JSON.stringify(www.exited));
}

async function checkFirmware(context, browser) {
  const data = path.join(tmp, 'fw-data');
  const fw = await startServer('firmware-ui', [path.join(build, 'examples/firmware-ui'),
    '--listen', '127.0.0.1:0', '--data', data]);
  const page = await context.newPage();
  const problems = watch(page);
  const statuses = []; // every answer the page got: [status, path]
  page.on('response', (r) => statuses.push([r.status(), new URL(r.url()).pathname]));

  let r = await page.goto(fw.url + '/', { waitUntil: 'load' });
  check(r && r.status() === 200, 'firmware-ui: GET / is 200', r && r.status());
  // The script fills the live fields from /api/status.
  const live = await page.waitForFunction(() => /\ds$/.test(document.getElementById('st-uptime').textContent),
    null, { timeout: WAIT_MS }).then(() => true, () => false);
  check(live, 'firmware-ui: the status panel is filled in by the script');
  check(await page.locator('#fw-download a').count() === 0, 'firmware-ui: no download link before an image');
  // The live status: the page's own EventSource moves the uptime (an event per second), and a
  // second EventSource in the page receives three "status" events. (The open stream keeps the
  // network busy, so "networkidle" would never come: the favicon is waited for instead.)
  const up0 = await page.locator('#st-uptime').textContent();
  const moved = await page.waitForFunction((u) => document.getElementById('st-uptime').textContent !== u,
    up0, { timeout: WAIT_MS }).then(() => true, () => false);
  check(moved, 'firmware-ui: the status panel updates itself (uptime moved from ' + up0 + ')');
  const events = await page.evaluate((ms) => new Promise((resolve) => {
    const es = new EventSource('/api/events');
    const got = [];
    const done = () => { es.close(); resolve(got); };
    es.addEventListener('status', (e) => {
      try { got.push(JSON.parse(e.data)); } catch (err) { got.push({ bad: e.data }); }
      if (got.length === 3) done();
    });
    setTimeout(done, ms);
  }), WAIT_MS);
  check(events.length === 3 && events.every((e) => e.version && typeof e.uptime_s === 'number'),
    'firmware-ui: an EventSource received three status events', JSON.stringify(events));
  check(events.length === 3 && events[2].uptime_s > events[0].uptime_s,
    'firmware-ui: the events carry the live uptime', JSON.stringify(events.map((e) => e.uptime_s)));
  await waitFor(() => statuses.some(([, p]) => p === '/favicon.svg'));
  check(problems.length === 0, 'firmware-ui: no console error, failed request or 4xx/5xx', problems.join('; '));
  check(statuses.some(([s, p]) => s === 200 && p === '/favicon.svg'), 'firmware-ui: the favicon was loaded',
    JSON.stringify(statuses));
  check(statuses.some(([s, p]) => s === 200 && p === '/api/events') &&
    !statuses.some(([, p]) => p === '/api/status'),
  'firmware-ui: the status comes over /api/events, not by polling /api/status', JSON.stringify(statuses));
  await shot(page, 'firmware-ui');

  // A reload revalidates the page: the browser's network events show the device's 304 (the page
  // itself then sees the cached 200).
  const cdp = await context.newCDPSession(page);
  const paths = new Map(); // request id -> path
  const wire = [];         // [status as received from the server, request id]
  cdp.on('Network.requestWillBeSent', (e) => paths.set(e.requestId, new URL(e.request.url).pathname));
  cdp.on('Network.responseReceivedExtraInfo', (e) => wire.push([e.statusCode, e.requestId]));
  await cdp.send('Network.enable');
  // networkidle, not load: the script's own GET /api/settings fills the form after the load, and
  // would overwrite what the test types next if it answered late (a slow, sanitized server).
  await page.reload({ waitUntil: 'networkidle' });
  const seen = () => wire.map(([st, id]) => st + ' ' + paths.get(id));
  const revalidated = await waitFor(() => seen().includes('304 /'));
  check(revalidated, 'firmware-ui: the reload revalidated / with 304 (network events)', seen().join(', '));
  check(seen().includes('304 /style.css') && seen().includes('304 /app.js'),
    'firmware-ui: the reload revalidated the bundle\'s files with 304', seen().join(', '));
  await cdp.detach();

  // The settings form saves without leaving the page; a reload shows the saved values.
  const form = page.locator('#settings form');
  await form.locator('input[name=name]').fill('Bench <unit> "7"');
  await form.locator('input[name=ntp]').fill('time.example.net');
  await form.locator('input[type=checkbox]').check();
  await form.locator('button[type=submit]').click();
  const saved = await page.waitForFunction(() => document.getElementById('settings-msg').textContent === 'Saved.',
    null, { timeout: WAIT_MS }).then(() => true, () => false);
  check(saved, 'firmware-ui: the settings form says Saved.', await page.locator('#settings-msg').textContent());
  r = await page.reload({ waitUntil: 'load' });
  check(r && r.status() === 200, 'firmware-ui: the reload after a change is a 200 (new ETag)', r && r.status());
  const html = await r.text();
  check(html.includes('value="Bench &lt;unit&gt; &quot;7&quot;"'), 'firmware-ui: the page as sent holds the saved name, escaped');
  check(await form.locator('input[name=name]').inputValue() === 'Bench <unit> "7"' &&
    await form.locator('input[name=ntp]').inputValue() === 'time.example.net' &&
    await form.locator('input[type=checkbox]').isChecked(), 'firmware-ui: the reloaded form shows the saved values');
  check(await page.locator('#st-name').textContent() === 'Bench <unit> "7"', 'firmware-ui: the status shows the saved name');

  // Without JavaScript the page still shows the settings, and the form still saves.
  const nojs = await browser.newContext({ javaScriptEnabled: false });
  const plain = await nojs.newPage();
  await plain.goto(fw.url + '/', { waitUntil: 'load' });
  check(await plain.locator('input[name=ntp]').inputValue() === 'time.example.net' &&
    await plain.locator('#st-name').textContent() === 'Bench <unit> "7"',
  'firmware-ui: without JavaScript the page shows the current settings');
  await plain.locator('input[name=name]').fill('No script');
  await plain.locator('input[type=checkbox]').uncheck();
  await Promise.all([plain.waitForNavigation({ timeout: WAIT_MS }), plain.locator('#settings button[type=submit]').click()]);
  check(new URL(plain.url()).pathname === '/' && await plain.locator('#st-name').textContent() === 'No script' &&
    !(await plain.locator('input[type=checkbox]').isChecked()),
  'firmware-ui: without JavaScript the form posts, and the page it returns to shows the new values');
  await shot(plain, 'firmware-ui-no-script');
  await nojs.close();
  await page.reload({ waitUntil: 'load' });

  // A firmware upload through the page: progress in bytes and percent, then installed.
  await page.evaluate(() => {
    window.fwMessages = [];
    new MutationObserver(() => window.fwMessages.push(document.getElementById('fw-msg').textContent))
      .observe(document.getElementById('fw-msg'), { childList: true, characterData: true, subtree: true });
  });
  const good = image('YMKFW01', 3 << 20);
  await page.setInputFiles('#fw-file', { name: 'good.bin', mimeType: 'application/octet-stream', buffer: good });
  await page.click('#fw-form button[type=submit]');
  const installed = await page.waitForFunction(() => document.getElementById('fw-msg').textContent.startsWith('Installed'),
    null, { timeout: WAIT_MS }).then(() => true, () => false);
  const msgs = await page.evaluate(() => window.fwMessages);
  check(installed && (await page.locator('#fw-msg').textContent()) === 'Installed: ' + good.length + ' bytes.',
    'firmware-ui: an image uploaded through the page is installed', msgs.slice(-3).join(' | '));
  check(msgs.some((m) => new RegExp('^Uploading: \\d+ of ' + good.length + ' bytes \\(\\d+%\\)$').test(m)),
    'firmware-ui: the page showed the upload progress in bytes and percent', msgs.slice(0, 4).join(' | '));
  let stored = fs.existsSync(path.join(data, 'firmware.bin')) && fs.readFileSync(path.join(data, 'firmware.bin'));
  check(stored && stored.equals(good), 'firmware-ui: the device stored the image byte for byte');
  const link = await page.waitForSelector('#fw-download a[href="/firmware.bin"]', { timeout: WAIT_MS })
    .then(() => true, () => false);
  check(link, 'firmware-ui: the download link appears once an image is installed');
  await shot(page, 'firmware-ui-installed');

  // A bad image: refused, with the device's reason in the page; the installed one stays.
  const bad = image('YMKFW02', 1000);
  await page.setInputFiles('#fw-file', { name: 'bad.bin', mimeType: 'application/octet-stream', buffer: bad });
  await page.click('#fw-form button[type=submit]');
  const refused = await page.waitForFunction(() => document.getElementById('fw-msg').textContent.startsWith('Refused'),
    null, { timeout: WAIT_MS }).then(() => true, () => false);
  const why = await page.locator('#fw-msg').textContent();
  check(refused && why === 'Refused (422): not a firmware image (no YMKFW01 magic)',
    'firmware-ui: a bad image is refused with the device\'s reason', why);
  stored = fs.readFileSync(path.join(data, 'firmware.bin'));
  check(stored.equals(good), 'firmware-ui: the refused image left the installed one as it was');
  await shot(page, 'firmware-ui-refused');
  await page.close();
  check(await stopServer(fw), 'firmware-ui: exits cleanly on SIGTERM', JSON.stringify(fw.exited));
}

async function checkVideo(context) {
  const root = path.join(tmp, 'video');
  fs.mkdirSync(root);
  // 20 s of a noisy test pattern, VP8 in WebM (every Chromium plays it), a keyframe each second,
  // at a constant 5 Mbit/s: about 12 MB, more than the browser reads ahead, so a seek far into it
  // needs a Range request of its own. Small frames at 10 per second keep the encoding short.
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi',
    '-i', 'testsrc2=duration=20:size=320x240:rate=10', '-vf', 'noise=alls=60:allf=t',
    '-c:v', 'libvpx', '-b:v', '5M', '-minrate', '5M', '-maxrate', '5M', '-bufsize', '1M', '-g', '10',
    '-deadline', 'realtime', '-cpu-used', '8', '-an', path.join(root, 'clip.webm')], { timeout: 120000 });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><html><head><meta charset="utf-8">' +
    '<title>clip</title><link rel="icon" href="data:,"></head><body>' +
    '<video id="v" src="/clip.webm" preload="metadata" muted controls></video></body></html>\n');
  const size = fs.statSync(path.join(root, 'clip.webm')).size;
  const srv = await startServer('ymawky-serve (video)', [path.join(build, 'examples/ymawky-serve'),
    '--root', root, '--listen', '127.0.0.1:0']);
  const page = await context.newPage();
  const problems = watch(page);
  const ranges = [];
  page.on('request', (r) => { if (r.url().endsWith('/clip.webm')) ranges.push(r.headers().range || '(none)'); });
  await page.goto(srv.url + '/', { waitUntil: 'load' });
  const meta = await page.waitForFunction(() => document.getElementById('v').readyState >= 1, null,
    { timeout: WAIT_MS }).then(() => true, () => false);
  check(meta, 'video: the metadata loaded');
  const duration = await page.evaluate(() => document.getElementById('v').duration);
  check(duration > 19 && duration < 21, 'video: the duration is 20 s', duration);
  for (const target of [15, 4.5]) {
    const before = ranges.length;
    const t = await page.evaluate((to) => new Promise((resolve, reject) => {
      const v = document.getElementById('v');
      v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
      v.addEventListener('error', () => reject(new Error('media error ' + (v.error && v.error.code))), { once: true });
      v.currentTime = to;
    }), target).catch((e) => e.message);
    check(typeof t === 'number' && Math.abs(t - target) < 0.5, 'video: seeking to ' + target + ' s moved currentTime', t);
    const ready = await page.waitForFunction(() => document.getElementById('v').readyState >= 2, null,
      { timeout: WAIT_MS }).then(() => true, () => false);
    check(ready, 'video: the frame at ' + target + ' s is there (readyState >= 2)');
    if (target === 15) {
      // The seek is served by a Range request that does not start over at 0. Where it starts
      // is the browser's choice: at the keyframe before 15 s, past its read-ahead (seen:
      // bytes=10485760-), or where its read-ahead stopped, reading on (seen: bytes=851968-).
      const starts = ranges.slice(before).map((r) => Number((/^bytes=(\d+)-/.exec(r) || [])[1]));
      check(starts.some((n) => n > 0 && n < size - 65536), 'video: the seek to 15 s was served through a' +
        ' Range request that does not start at 0', ranges.slice(before).join(', '));
    }
  }
  await shot(page, 'video');
  const partial = await waitFor(() => logged(srv, 'GET /clip.webm', 206) > 0);
  check(partial, 'video: the server answered the clip with 206 (access log)',
    srv.lines.filter((l) => l.includes('clip.webm')).join(' | '));
  check(ranges.length > 0 && ranges.every((r) => /^bytes=\d+-\d*$/.test(r)),
    'video: every request for the clip asked for a byte range', ranges.join(', '));
  check(logged(srv, 'GET /clip.webm', 200) === 0, 'video: the clip was never sent whole (no 200)');
  console.log('video: clip of ' + size + ' bytes; Range headers sent: ' + ranges.join(', '));
  check(problems.length === 0, 'video: no console error, failed request or 4xx/5xx', problems.join('; '));
  await page.close();
  check(await stopServer(srv), 'video: ymawky-serve exits cleanly on SIGTERM', JSON.stringify(srv.exited));
}

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  // Debian's Chromium; launch() gives it a fresh temporary profile (its own --user-data-dir) and
  // headless: true adds --headless. Nothing reaches out: no QUIC, no background networking, no
  // component updates, no sync.
  const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  // firmware-ui serves HTTPS with the self-signed certificate it makes at its first start: a first
  // start makes it now, and Chromium is told to trust its key, as a user who installed the
  // certificate would have it (docs/tls.md), so that pages are cached and revalidated as usual.
  const first = await startServer('firmware-ui (first start)', [path.join(build, 'examples/firmware-ui'),
    '--listen', '127.0.0.1:0', '--data', path.join(tmp, 'fw-data')]);
  check(await stopServer(first), 'firmware-ui: the first start exits cleanly', JSON.stringify(first.exited));
  const certFile = path.join(tmp, 'fw-data', 'tls-cert.pem');
  if (first.url.startsWith('https:')) {
    const spki = new crypto.X509Certificate(fs.readFileSync(certFile)).publicKey.export({ type: 'spki', format: 'der' });
    args.push('--ignore-certificate-errors-spki-list=' + crypto.createHash('sha256').update(spki).digest('base64'));
  }
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout: 2 * WAIT_MS,
    args,
  });
  console.log('browser: Chromium ' + browser.version() + ', playwright-core ' +
    require(path.resolve(process.env.YMK_NODE_MODULES, 'playwright-core/package.json')).version);
  try {
    const context = await browser.newContext();
    context.setDefaultTimeout(WAIT_MS);
    await checkWww(context);
    await checkFirmware(context, browser);
    await checkVideo(context);
  } finally {
    await browser.close().catch(() => {});
  }
}

function cleanup() {
  for (const s of servers) if (!s.exited) s.proc.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
}

const watchdog = setTimeout(() => {
  console.log('FAIL: the browser test did not finish within ' + RUN_MS / 1000 + ' s');
  cleanup();
  process.exit(1);
}, RUN_MS);
process.on('SIGTERM', () => { cleanup(); process.exit(1); });

main().then(() => {
  console.log('screenshots: ' + fs.readdirSync(shots).sort().map((f) => path.join(shots, f)).join(' '));
}, (e) => {
  check(false, 'the browser test ran to its end', e.stack || String(e));
}).finally(() => {
  clearTimeout(watchdog);
  cleanup();
  console.log('browser: ' + passed + ' passed, ' + failed + ' failed');
  process.exitCode = failed === 0 ? 0 : 1;
});
