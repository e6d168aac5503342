// firmware-ui client: the server renders the page with the current settings, so this only adds
// what needs a script: the live status panel (Server-Sent Events from /api/events, pushed by the
// device every second; /api/status polled where EventSource is missing), saving the settings as
// JSON without leaving the page, and the firmware upload with PUT (which an HTML form cannot
// send), with its progress and the device's reason when it refuses an image.
'use strict';

const $ = (id) => document.getElementById(id);
const MAX_IMAGE = 8 * 1024 * 1024;

function uptime(s) {
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
  return (d ? d + 'd ' : '') + h + 'h ' + m + 'm ' + (s % 60) + 's';
}

// The download link exists only while an image is installed (the server renders it the same way).
function showDownload(present, size) {
  const p = $('fw-download');
  p.replaceChildren();
  if (!present) return;
  const a = document.createElement('a');
  a.href = '/firmware.bin';
  a.download = 'firmware.bin';
  a.textContent = 'Download the installed image';
  p.append(a, ' (' + size + ' bytes)');
}

function showStatus(st) {
  $('st-version').textContent = st.version;
  $('st-hostname').textContent = st.hostname;
  $('st-uptime').textContent = uptime(st.uptime_s);
  $('st-requests').textContent = st.requests;
  $('st-firmware').textContent = st.firmware.present ? st.firmware.size + ' bytes' : 'none';
  showDownload(st.firmware.present, st.firmware.size);
  $('st-error').hidden = true;
}

// Once, now (after an upload, so the panel need not wait for the next event).
async function refreshStatus() {
  try {
    const r = await fetch('/api/status', { cache: 'no-store' });
    if (!r.ok) throw new Error(r.status);
    showStatus(await r.json());
  } catch (e) {
    $('st-error').hidden = false;
  }
}

// The live panel: one "status" event per second. EventSource reconnects by itself after an
// error (the device restarting, say); the panel says it is stale meanwhile.
function watchStatus() {
  if (!window.EventSource) {
    refreshStatus();
    setInterval(refreshStatus, 5000);
    return;
  }
  const events = new EventSource('/api/events');
  events.addEventListener('status', (e) => {
    try {
      showStatus(JSON.parse(e.data));
    } catch (err) {
      $('st-error').hidden = false;
    }
  });
  events.onerror = () => { $('st-error').hidden = false; };
}

async function loadSettings() {
  const r = await fetch('/api/settings', { cache: 'no-store' });
  if (!r.ok) return;
  const s = await r.json();
  const f = document.querySelector('#settings form');
  f.elements.name.value = s.name;
  f.elements.ntp.value = s.ntp;
  f.querySelector('input[type=checkbox]').checked = s.led;
  $('st-name').textContent = s.name;
}

async function saveSettings(ev) {
  ev.preventDefault();
  const form = ev.target;
  try {
    const r = await fetch(form.action, {
      method: 'POST',
      headers: { 'Accept': 'application/json' },
      body: new URLSearchParams(new FormData(form)),
    });
    const body = await r.json().catch(() => ({}));
    $('settings-msg').textContent = r.ok ? 'Saved.' : 'Not saved: ' + (body.error || r.status);
    if (r.ok) loadSettings();
  } catch (e) {
    $('settings-msg').textContent = 'Not saved: the device did not answer.';
  }
}

// The device's reason for a refusal: the "error" of its JSON answer, else a word on the status.
function refusal(xhr) {
  try {
    const body = JSON.parse(xhr.responseText);
    if (body && typeof body.error === 'string') return body.error;
  } catch (e) { /* not JSON: a page of the library's */ }
  const why = { 413: 'larger than 8 MiB', 422: 'not a valid image' };
  return why[xhr.status] || xhr.statusText || 'status ' + xhr.status;
}

function uploadFirmware(ev) {
  ev.preventDefault();
  const file = $('fw-file').files[0];
  const msg = $('fw-msg'), bar = $('fw-progress');
  if (!file) {
    msg.textContent = 'Choose an image first.';
    return;
  }
  if (file.size > MAX_IMAGE) { // the device would refuse it before reading it: do not send it
    msg.textContent = 'Refused: ' + file.name + ' is larger than 8 MiB (' + file.size + ' bytes).';
    return;
  }
  const xhr = new XMLHttpRequest();
  xhr.open('PUT', '/firmware.bin');
  xhr.upload.onprogress = (e) => {
    const total = e.lengthComputable ? e.total : file.size;
    bar.max = total || 1;
    bar.value = e.loaded;
    const pct = total ? Math.floor(100 * e.loaded / total) : 100;
    msg.textContent = 'Uploading: ' + e.loaded + ' of ' + total + ' bytes (' + pct + '%)';
  };
  xhr.onload = () => {
    bar.hidden = true;
    msg.textContent = xhr.status >= 200 && xhr.status < 300
      ? 'Installed: ' + file.size + ' bytes.'
      : 'Refused (' + xhr.status + '): ' + refusal(xhr);
    refreshStatus();
  };
  xhr.onerror = () => {
    bar.hidden = true;
    msg.textContent = 'Upload failed: the device did not answer.';
  };
  bar.value = 0;
  bar.max = file.size || 1;
  bar.hidden = false;
  msg.textContent = 'Uploading: 0 of ' + file.size + ' bytes (0%)';
  xhr.send(file);
}

document.querySelector('#settings form').addEventListener('submit', saveSettings);
$('fw-form').addEventListener('submit', uploadFirmware);
loadSettings();
watchStatus();
