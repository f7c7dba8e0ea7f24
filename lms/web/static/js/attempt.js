// A quiz attempt's page: saves the answers in the background whenever one changes, and
// counts down the time left. The page works without it (Save and Submit post the form);
// the server keeps the time and refuses answers sent after it (no inline script: see the CSP).

const form = document.getElementById("attempt-form");
const status = document.getElementById("attempt-saved");
const timeLeft = document.getElementById("attempt-time-left");
const SAVE_DELAY_MS = 600;

let timer = null;
let saving = Promise.resolve();

function say(message) {
  if (status) {
    status.textContent = message;
  }
}

async function save() {
  const token = form.querySelector("input[name=csrf_token]");
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
    });
  } catch {
    say("Your latest answers are not saved: check your connection, then press Save answers.");
    return;
  }
  let reply = {};
  try {
    reply = await response.json();
  } catch {
    reply = {};
  }
  if (response.ok && reply.saved) {
    say(`Your answers were saved at ${reply.saved_at_words}.`);
  } else {
    say(reply.error || "Your latest answers are not saved. Reload the page and try again.");
  }
}

function saveSoon() {
  clearTimeout(timer);
  timer = setTimeout(() => {
    saving = saving.then(save);
  }, SAVE_DELAY_MS);
}

function countDown() {
  const ends = Date.now() + Number(timeLeft.dataset.secondsLeft) * 1000;
  const tick = () => {
    const seconds = Math.max(0, Math.round((ends - Date.now()) / 1000));
    if (seconds === 0) {
      timeLeft.textContent = "Time is up. Answers sent now are not saved.";
      return;
    }
    const minutes = Math.ceil(seconds / 60);
    timeLeft.textContent = `About ${minutes} ${minutes === 1 ? "minute" : "minutes"} left.`;
    setTimeout(tick, 15000);
  };
  tick();
}

if (form) {
  form.addEventListener("change", saveSoon);
}
if (timeLeft) {
  countDown();
}
