// Move focus to an error summary so keyboard and screen-reader users hear what to fix.
document.addEventListener("DOMContentLoaded", () => {
  // Filters fold away on a phone; on a wide screen there is room to show them open.
  if (window.matchMedia("(min-width: 48rem)").matches) {
    for (const fold of document.querySelectorAll("details[data-open-wide]")) {
      fold.open = true;
    }
  }
  const summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const target = document.getElementById(button.dataset.copy);
      if (!target) return;
      try {
        await navigator.clipboard.writeText(target.value || target.textContent);
        button.dataset.copied = "true";
        const status = document.getElementById(button.dataset.copy + "-status");
        if (status) status.textContent = button.dataset.copiedText || "";
      } catch {
        target.select?.();
      }
    });
  }
});
