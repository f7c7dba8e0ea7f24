// The trainer's check-in screen: asks the server for the current code, QR code and the
// list of who has checked in every few seconds, and updates the page without reloading.
// The server derives everything; this file only shows it (no inline script: see the CSP).

const screen = document.getElementById("check-in-screen");
let nextCodeAt = 0; // when the code on screen is replaced, by this browser's clock

function qrSource(svg) {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

function showList(names, expected) {
  const list = document.getElementById("check-in-list");
  const items = names.map((name) => {
    const item = document.createElement("li");
    item.textContent = name;
    return item;
  });
  list.replaceChildren(...items);
  document.getElementById("check-in-empty").hidden = names.length > 0;
  document.getElementById("check-in-count").textContent =
    `${names.length} of ${expected} expected learners`;
}

function show(data) {
  if (data.cancelled) {
    window.location.reload();
    return;
  }
  const code = document.getElementById("check-in-code");
  if (code.textContent !== data.code) {
    code.textContent = data.code;
    document.getElementById("check-in-qr").src = qrSource(data.qr_svg);
  }
  nextCodeAt = Date.now() + data.expires_in * 1000;
  showList(data.checked_in, data.expected);
}

function tick() {
  const seconds = Math.max(0, Math.ceil((nextCodeAt - Date.now()) / 1000));
  document.getElementById("check-in-seconds").textContent = String(seconds);
}

async function refresh() {
  try {
    const response = await fetch(screen.dataset.url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (response.ok && response.headers.get("Content-Type")?.startsWith("application/json")) {
      const data = await response.json();
      show(data);
      return Math.min(data.expires_in, Number(screen.dataset.pollSeconds)) * 1000;
    }
    if (response.redirected || response.status === 403 || response.status === 404) {
      // Logged out, or no longer allowed: never leave an old code on the screen.
      window.location.reload();
    }
  } catch {
    // The network dropped for a moment: keep showing the last code and try again.
  }
  return Number(screen.dataset.pollSeconds) * 1000;
}

async function poll() {
  const wait = await refresh();
  // Ask again when the code turns over or after the poll interval, whichever is sooner.
  window.setTimeout(poll, Math.max(wait, 500));
}

if (screen) {
  nextCodeAt = Date.now() + Number(document.getElementById("check-in-seconds").textContent) * 1000;
  window.setInterval(tick, 1000);
  window.setTimeout(poll, Number(screen.dataset.pollSeconds) * 1000);
}
