// connectors web UI: the few behaviours htmx does not cover. Loaded from the
// binary under a Content-Security-Policy without inline scripts.
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : null;

  // Every htmx request carries the session's CSRF token.
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (csrf) {
      e.detail.headers["X-CSRF-Token"] = csrf;
    }
  });

  var dialog = document.getElementById("modal");
  var opener = null;

  function focusFirst(root) {
    var target =
      root.querySelector('[aria-invalid="true"]') ||
      root.querySelector("input:not([type=hidden]):not([disabled]):not([hidden]), select:not([disabled]), textarea:not([disabled])");
    if (target) {
      target.focus();
    }
  }

  // A form loaded into the modal opens it; a re-rendered form (with
  // errors) keeps it open and moves focus to the first invalid field.
  document.body.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail.target;
    // A response that swapped nothing (a saved form) must not reopen it.
    if (!dialog || target.id !== "modal-body" || !target.firstElementChild) {
      return;
    }
    if (!dialog.open) {
      opener = document.activeElement;
      dialog.showModal();
    }
    focusFirst(dialog);
  });

  function closeModal() {
    if (dialog && dialog.open) {
      // Emptied now, not in the (asynchronous) close event, so that a swap
      // finishing after this cannot reopen the dialog.
      document.getElementById("modal-body").textContent = "";
      dialog.close();
    }
  }

  // Keep Tab and Shift+Tab inside the open dialog.
  function focusables(root) {
    return Array.prototype.filter.call(
      root.querySelectorAll("a[href], button, input, select, textarea, [tabindex]:not([tabindex='-1'])"),
      function (el) {
        return !el.disabled && !el.hidden && el.offsetParent !== null;
      },
    );
  }

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Tab" || !dialog || !dialog.open) {
      return;
    }
    var items = focusables(dialog);
    if (!items.length) {
      return;
    }
    var first = items[0];
    var last = items[items.length - 1];
    var inside = dialog.contains(document.activeElement);
    if (e.shiftKey && (document.activeElement === first || !inside)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
      e.preventDefault();
      first.focus();
    }
  });

  if (dialog) {
    dialog.addEventListener("close", function () {
      document.getElementById("modal-body").textContent = "";
      if (opener && document.body.contains(opener)) {
        opener.focus();
      }
    });
  }

  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-close-modal]")) {
      closeModal();
      return;
    }
    var reveal = e.target.closest("[data-reveal]");
    if (reveal) {
      var input = document.getElementById(reveal.getAttribute("data-reveal"));
      if (input) {
        input.hidden = false;
        input.disabled = false;
        input.focus();
      }
      reveal.hidden = true;
    }
  });

  // oneOf choices: show the chosen branch, hide and disable the others.
  document.addEventListener("change", function (e) {
    var select = e.target;
    var isRadio = select instanceof HTMLInputElement && select.type === "radio";
    if (!(select instanceof HTMLSelectElement) && !isRadio) {
      return;
    }
    var choice = select.closest(".choice");
    var control = choice && choice.querySelector(":scope > .field");
    if (!control || !control.contains(select)) {
      return;
    }
    choice.querySelectorAll(":scope > .branch").forEach(function (branch) {
      var on = branch.getAttribute("data-value") === select.value;
      branch.hidden = !on;
      branch.querySelectorAll("input, select, textarea, button[name=_row]").forEach(function (el) {
        // A set secret's input stays closed until "Update secret" opens it.
        el.disabled = !on || el.hidden;
      });
    });
  });

  // Toasts: text only, announced by the role="status" region; newest
  // first, at most two, each with a button that dismisses it.
  function toast(message, level) {
    var region = document.getElementById("toasts");
    if (!region || !message) {
      return;
    }
    var item = document.createElement("div");
    item.className = "toast" + (level === "error" ? " toast-error" : "");
    var text = document.createElement("span");
    text.textContent = message;
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "toast-dismiss";
    dismiss.setAttribute("aria-label", "Dismiss");
    dismiss.textContent = "×";
    dismiss.addEventListener("click", function () {
      item.remove();
    });
    item.appendChild(text);
    item.appendChild(dismiss);
    region.insertBefore(item, region.firstChild);
    while (region.children.length > 2) {
      region.lastChild.remove();
    }
    setTimeout(function () {
      item.remove();
    }, 6000);
  }

  function detailOf(e) {
    var d = e.detail || {};
    return { message: d.message || d.value, level: d.level };
  }

  document.body.addEventListener("toast", function (e) {
    var d = detailOf(e);
    toast(d.message, d.level);
  });

  // A saved form closes the modal and refreshes the installed grid.
  document.body.addEventListener("connectors:saved", function (e) {
    closeModal();
    var d = detailOf(e);
    toast(d.message, d.level);
  });
})();
