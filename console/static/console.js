// The console's behaviour, in a file of its own: its pages run no inline script (see the
// Content-Security-Policy in web/app.py).
(() => {
  // The badge of open handoff tickets, kept fresh.
  const badge = document.getElementById("badge");
  if (badge) {
    setInterval(async () => {
      try {
        const r = await fetch("/console/api/badge", { credentials: "same-origin" });
        if (r.ok) badge.textContent = (await r.json()).open_tickets;
      } catch (e) {}
    }, 30000);
  }
  // A form with data-confirm asks before it is sent (deletions).
  document.addEventListener("submit", (event) => {
    const question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
  // A select with data-autosubmit sends its form when it changes.
  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });
})();
