// connectors web UI: the Add and Configure dialogs. Keeps what was typed
// when the server answers a form again (it never sends a secret back),
// links the error summary to its fields, lets "Update secret" and "Remove"
// be undone, and asks before a changed form is discarded. Loaded from the
// binary under a Content-Security-Policy without inline scripts.
(function () {
  "use strict";

  var dialog = document.getElementById("modal");
  var body = document.getElementById("modal-body");
  if (!dialog || !body) {
    return;
  }

  function form() {
    return body.querySelector("form.connector-form");
  }

  // What the browser holds before an answer replaces the form: the
  // secrets typed (the server leaves them out), which stored secrets were
  // being replaced or removed, and whether anything was changed.
  var held = null;

  function snapshot(f) {
    var secrets = [];
    f.querySelectorAll("input[data-secret-input]").forEach(function (input) {
      if (!input.disabled && input.value !== "") {
        secrets.push({ id: input.id, name: input.name, value: input.value });
      }
    });
    var removed = [];
    f.querySelectorAll('input[name="_clear"]').forEach(function (input) {
      if (!input.disabled) {
        removed.push(input.id);
      }
    });
    return { secrets: secrets, removed: removed, dirty: f.hasAttribute("data-dirty") };
  }

  function setHidden(el, hidden) {
    if (el) {
      el.hidden = hidden;
    }
  }

  // A stored secret's controls: "Set", "Update secret", "Keep", "Remove".
  function secretParts(id) {
    var state = body.querySelector('[data-secret="' + id + '"]');
    return {
      state: state,
      input: document.getElementById(id),
      set: state && state.querySelector(".secret-set"),
      removedNote: state && state.querySelector(".secret-removed"),
      reveal: state && state.querySelector("[data-reveal]"),
      unreveal: state && state.querySelector("[data-unreveal]"),
      remove: state && state.querySelector("[data-remove-secret]"),
      keep: state && state.querySelector("[data-keep-secret]"),
      clear: document.getElementById(id + "-clear"),
    };
  }

  function openSecret(id) {
    var p = secretParts(id);
    if (!p.input) {
      return;
    }
    p.input.hidden = false;
    p.input.disabled = false;
    setHidden(p.set, true);
    setHidden(p.reveal, true);
    setHidden(p.remove, true);
    setHidden(p.unreveal, false);
  }

  function closeSecret(id) {
    var p = secretParts(id);
    if (!p.input) {
      return;
    }
    p.input.value = "";
    p.input.hidden = true;
    p.input.disabled = true;
    p.input.removeAttribute("aria-invalid");
    var field = p.input.closest(".field");
    var error = field && field.querySelector(".error");
    if (error) {
      error.remove();
      field.classList.remove("invalid");
    }
    setHidden(p.set, false);
    setHidden(p.reveal, false);
    setHidden(p.remove, false);
    setHidden(p.unreveal, true);
    if (p.reveal) {
      p.reveal.focus();
    }
  }

  function removeSecret(id, removing) {
    var p = secretParts(id);
    if (!p.clear) {
      return;
    }
    p.clear.disabled = !removing;
    setHidden(p.set, removing);
    setHidden(p.removedNote, !removing);
    setHidden(p.reveal, removing);
    setHidden(p.remove, removing);
    setHidden(p.keep, !removing);
    var next = removing ? p.keep : p.remove;
    if (next) {
      next.focus();
    }
  }

  function markDirty(f) {
    if (f && !f.hasAttribute("data-dirty")) {
      f.setAttribute("data-dirty", "");
    }
  }

  // An answer to the form replaces it; what the browser held is put back.
  // Any other swap (a new dialog opened) starts from nothing.
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    var f = form();
    var from = e.detail.requestConfig && e.detail.requestConfig.elt;
    held = e.detail.target === body && f && from && f.contains(from) ? snapshot(f) : null;
  });
  dialog.addEventListener("close", function () {
    held = null;
  });

  function visible(el) {
    return !el.disabled && !el.hidden && el.offsetParent !== null;
  }

  // The first field with an error that can be seen (never one in a
  // branch that is not chosen).
  function firstInvalid(root) {
    var all = root.querySelectorAll('[aria-invalid="true"], .field.invalid input, .field.invalid select, .field.invalid textarea, fieldset.rows[aria-describedby] button');
    for (var i = 0; i < all.length; i++) {
      if (visible(all[i])) {
        return all[i];
      }
    }
    return null;
  }

  function focusField(el) {
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "center" });
  }

  body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target !== body) {
      return;
    }
    var f = form();
    var before = held;
    held = null;
    if (!f) {
      return;
    }
    if (before) {
      before.secrets.forEach(function (s) {
        var input = document.getElementById(s.id);
        if (!input || input.name !== s.name || !input.hasAttribute("data-secret-input")) {
          return;
        }
        if (input.hidden) {
          openSecret(s.id);
        }
        if (!input.disabled) {
          input.value = s.value;
        }
      });
      before.removed.forEach(function (clearId) {
        var clear = document.getElementById(clearId);
        if (clear && clear.disabled) {
          removeSecret(clearId.replace(/-clear$/, ""), true);
        }
      });
      if (before.dirty) {
        markDirty(f);
      }
    }
    // After app.js has opened the dialog and focused its first control.
    setTimeout(function () {
      var invalid = firstInvalid(f);
      if (invalid) {
        focusField(invalid);
      } else if (f.querySelector("#form-errors")) {
        focusField(f.querySelector("#form-errors"));
      }
    }, 0);
  });

  body.addEventListener("input", function (e) {
    markDirty(e.target.closest("form.connector-form"));
  });
  body.addEventListener("change", function (e) {
    markDirty(e.target.closest("form.connector-form"));
  });

  function confirmDiscard() {
    var f = form();
    return !f || !f.hasAttribute("data-dirty") || window.confirm("Discard the changes made in this form?");
  }

  // Cancel and × on a changed form ask first (before app.js closes it).
  document.addEventListener(
    "click",
    function (e) {
      if (e.target.closest("[data-close-modal]") && dialog.contains(e.target) && !confirmDiscard()) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    },
    true,
  );

  // Escape too.
  dialog.addEventListener("cancel", function (e) {
    if (!confirmDiscard()) {
      e.preventDefault();
    }
  });

  body.addEventListener("click", function (e) {
    var link = e.target.closest("[data-focus-field]");
    if (link) {
      var target = document.getElementById(link.getAttribute("data-focus-field"));
      if (target) {
        e.preventDefault();
        var control = target.matches("input, select, textarea, button")
          ? target
          : target.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])");
        focusField(control || target);
      }
      return;
    }
    var reveal = e.target.closest("[data-reveal]");
    if (reveal) {
      // app.js opens the input; the controls around it follow.
      openSecret(reveal.getAttribute("data-reveal"));
      return;
    }
    var unreveal = e.target.closest("[data-unreveal]");
    if (unreveal) {
      closeSecret(unreveal.getAttribute("data-unreveal"));
      return;
    }
    var remove = e.target.closest("[data-remove-secret]");
    if (remove) {
      markDirty(remove.closest("form"));
      removeSecret(remove.getAttribute("data-remove-secret"), true);
      return;
    }
    var keep = e.target.closest("[data-keep-secret]");
    if (keep) {
      removeSecret(keep.getAttribute("data-keep-secret"), false);
    }
  });
})();
