// Polls the import's progress and reloads the page when the step has finished.
(function () {
  const bar = document.querySelector("[data-progress-url]");
  if (!bar) return;
  const text = document.querySelector("[data-progress-text]");
  const url = bar.dataset.progressUrl;
  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      const data = await response.json();
      bar.value = data.percent;
      if (text) text.textContent = data.percent + "%";
      if (data.finished || data.status === "previewed") {
        window.location.reload();
        return;
      }
    } catch (error) {
      // keep polling: a slow server is not a failure
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 500);
})();
