// The trainer's check-in screen: asks the server for the current code, QR code and the
// list of who has checked in every few seconds, and updates the page without reloading.
// The server derives everything; this file only shows it (no inline script: see the CSP).

const screen = document.getElementById("check-in-screen");
let nextCodeAt = 0; // when the code on screen is replaced, by this browser's clock

function qrSource(svg) {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

// One learner on the list, as screen.html's checked_in_item macro renders it.
function listItem(learner) {
  const item = document.createElement("li");
  item.dataset.recordId = String(learner.id);
  const time = document.createElement("span");
  time.className = "nhsuk-u-font-size-16 nhsuk-u-secondary-text-colour";
  time.textContent = `at ${learner.at}`;
  item.append(`${learner.name} `, time);
  if (learner.same_device) {
    const flag = document.createElement("strong");
    flag.className = "nhsuk-u-display-block";
    flag.textContent = learner.same_device;
    item.append(flag);
  }
  for (const note of [learner.same_address, learner.different_network]) {
    if (note) {
      const flag = document.createElement("span");
      flag.className = "nhsuk-u-display-block nhsuk-u-font-size-16 nhsuk-u-secondary-text-colour";
      flag.textContent = note;
      item.append(flag);
    }
  }
  const form = document.createElement("form");
  form.method = "post";
  form.action = screen.dataset.undoUrl;
  form.noValidate = true;
  const token = document.createElement("input");
  token.type = "hidden";
  token.name = "csrf_token";
  token.value = screen.dataset.csrfToken;
  const record = document.createElement("input");
  record.type = "hidden";
  record.name = "record_id";
  record.value = String(learner.id);
  const button = document.createElement("button");
  button.className =
    "nhsuk-button nhsuk-button--secondary nhsuk-button--small nhsuk-u-margin-top-2 nhsuk-u-margin-bottom-2";
  button.type = "submit";
  const who = document.createElement("span");
  who.className = "nhsuk-u-visually-hidden";
  who.textContent = ` for ${learner.name}`;
  button.append("Undo check-in", who);
  form.append(token, record, button);
  item.append(form);
  return item;
}

// What an item says, to tell whether it needs replacing (its record id is its key).
function signature(item) {
  return item.textContent.replace(/\s+/g, "");
}

// Updates the list in place: items that have not changed stay as they are, so a trainer
// about to press an Undo button does not lose it (or its keyboard focus) to a refresh.
function showList(learners, expected) {
  const list = document.getElementById("check-in-list");
  const items = new Map(learners.map((learner) => [String(learner.id), listItem(learner)]));
  for (const item of [...list.children]) {
    const fresh = items.get(item.dataset.recordId);
    if (!fresh) {
      item.remove();
    } else if (signature(item) === signature(fresh)) {
      items.set(item.dataset.recordId, item); // keep the one on the page
    } else {
      item.replaceWith(fresh);
    }
  }
  let next = list.firstElementChild;
  for (const learner of learners) {
    const item = items.get(String(learner.id));
    if (item === next) {
      next = next.nextElementSibling;
    } else {
      list.insertBefore(item, next);
    }
  }
  document.getElementById("check-in-empty").hidden = learners.length > 0;
  document.getElementById("check-in-count").textContent =
    `${learners.length} of ${expected} expected learners`;
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
