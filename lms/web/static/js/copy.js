// "Copy" buttons: <button data-copy="input-id" data-copied="status-id" hidden>. Shown only
// where the browser can copy; the status element (role="status") says it was copied.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const status = document.getElementById(button.dataset.copied);
    try {
      await navigator.clipboard.writeText(source.value);
      if (status) status.textContent = "Link copied.";
    } catch {
      source.select();
      if (status) status.textContent = "Select the link above and copy it.";
    }
  });
}
