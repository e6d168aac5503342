// firmware-ui client: fills the status panel from /api/status every few seconds, loads and saves
// the settings as JSON (falling back to the plain form post without JavaScript), and uploads a
// firmware image with PUT, which an HTML form cannot send.
'use strict';

const $ = (id) => document.getElementById(id);

function uptime(s) {
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
  return (d ? d + 'd ' : '') + h + 'h ' + m + 'm ' + (s % 60) + 's';
}

async function refreshStatus() {
  try {
    const r = await fetch('/api/status', { cache: 'no-store' });
    if (!r.ok) throw new Error(r.status);
    const st = await r.json();
    $('st-version').textContent = st.version;
    $('st-hostname').textContent = st.hostname;
    $('st-uptime').textContent = uptime(st.uptime_s);
    $('st-requests').textContent = st.requests;
    $('st-firmware').textContent = st.firmware.present ? st.firmware.size + ' bytes' : 'none';
    $('st-error').hidden = true;
  } catch (e) {
    $('st-error').hidden = false;
  }
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
  const r = await fetch(form.action, {
    method: 'POST',
    headers: { 'Accept': 'application/json' },
    body: new URLSearchParams(new FormData(form)),
  });
  const body = await r.json().catch(() => ({}));
  $('settings-msg').textContent = r.ok ? 'Saved.' : 'Not saved: ' + (body.error || r.status);
  if (r.ok) loadSettings();
}

async function uploadFirmware(ev) {
  ev.preventDefault();
  const file = $('fw-file').files[0];
  if (!file) return;
  $('fw-msg').textContent = 'Uploading...';
  const r = await fetch('/firmware.bin', { method: 'PUT', body: file });
  const why = { 413: 'larger than 8 MiB', 422: 'not a valid image (magic or CRC)' };
  $('fw-msg').textContent = r.ok ? 'Installed.' : 'Refused: ' + (why[r.status] || r.status);
  refreshStatus();
}

document.querySelector('#settings form').addEventListener('submit', saveSettings);
$('fw-form').addEventListener('submit', uploadFirmware);
loadSettings();
refreshStatus();
setInterval(refreshStatus, 5000);
