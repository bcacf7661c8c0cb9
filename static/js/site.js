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
  // The people pickers filter as you type; without JavaScript the search form asks the server.
  for (const input of document.querySelectorAll("[data-filter-pickers]")) {
    input.closest("[data-needs-script]")?.removeAttribute("hidden");
    const filter = () => {
      const needle = input.value.trim().toLowerCase();
      for (const picker of document.querySelectorAll(".picker")) {
        let shown = 0;
        for (const item of picker.querySelectorAll("li[data-search]")) {
          const checked = item.querySelector("input:checked");
          const match = !needle || item.dataset.search.includes(needle) || checked;
          item.hidden = !match;
          if (match) shown += 1;
        }
        const none = picker.querySelector(".picker-none");
        if (none) none.hidden = shown > 0;
      }
    };
    input.addEventListener("input", filter);
    // A search form of its own is answered here; inside another form, Enter must not send it.
    if (input.form?.method === "get") {
      input.form.addEventListener("submit", (event) => {
        event.preventDefault();
        filter();
      });
    } else {
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") event.preventDefault();
      });
    }
  }
});
