// connectors web UI: the behaviours of the pages and their cards — focus
// that stays on a card after its actions, the in-page Delete dialog,
// "Clear filters", and the tenant switcher. Loaded like app.js, under a
// Content-Security-Policy without inline scripts.
(function () {
  "use strict";

  // The card an action started from, and the action, so that focus can
  // come back to the same control (or the card) once the card is swapped.
  var pending = null;
  // Where focus goes once the grid has reloaded after a delete.
  var afterDelete = null;

  function cardOf(el) {
    return el && el.closest ? el.closest(".installed-card") : null;
  }

  document.body.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt;
    var card = cardOf(elt);
    if (card && elt.getAttribute("data-action") && elt.getAttribute("data-action") !== "delete") {
      pending = { card: card.id, action: elt.getAttribute("data-action") };
    }
  });

  function focusCard(id, action) {
    var card = document.getElementById(id);
    if (!card) {
      return false;
    }
    var control = action ? card.querySelector('[data-action="' + action + '"]') : null;
    (control || card).focus();
    return true;
  }

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || !document.body.contains(active);
  }

  document.body.addEventListener("htmx:afterSettle", function (e) {
    var target = e.detail.target || {};
    if (afterDelete) {
      // The grid reloads after a delete: focus the card that took the
      // deleted one's place, or the page's own first control.
      if (target.id === "installed-grid") {
        var next = afterDelete;
        afterDelete = null;
        if (!(next.card && focusCard(next.card, null))) {
          var fallback = document.querySelector(".section-head .button") || document.getElementById("installed-heading");
          if (fallback) {
            fallback.focus();
          }
        }
      }
      return;
    }
    var dialog = document.getElementById("modal");
    if (!pending || (dialog && dialog.open)) {
      return;
    }
    // The card was swapped (Activate, Deactivate, Test connection), or the
    // grid reloaded after a dialog the card opened was saved: the control
    // that had focus is gone, so its counterpart in the new card takes it.
    if (focusLost()) {
      focusCard(pending.card, pending.action);
    }
    if (target.id === pending.card || target.id === "installed-grid") {
      pending = null;
    }
  });

  // A filter left empty stays out of the request, so the address shows
  // only the filters that are set.
  document.body.addEventListener("htmx:configRequest", function (e) {
    var form = e.detail.elt;
    if (e.detail.verb !== "get" || !form.matches || !form.matches("form.filters")) {
      return;
    }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.value === "") {
        delete e.detail.parameters[el.name];
      }
    });
  });

  // Delete asks in an in-page dialog that names the connector.
  var confirm = document.getElementById("confirm-delete");
  var asking = null;

  document.addEventListener("click", function (e) {
    var del = e.target.closest("[data-delete]");
    if (del && confirm) {
      e.preventDefault();
      asking = del;
      var name = del.getAttribute("data-name");
      var active = del.hasAttribute("data-active");
      document.getElementById("confirm-delete-title").textContent = "Delete “" + name + "”?";
      document.getElementById("confirm-delete-text").textContent =
        "The connector “" + name + "” and its secrets are deleted. This cannot be undone.";
      document.getElementById("confirm-delete-active").hidden = !active;
      document.getElementById("confirm-delete-ok").textContent = active ? "Delete active connector" : "Delete";
      confirm.returnValue = "";
      confirm.showModal();
      return;
    }
    var clear = e.target.closest("[data-clear-filters]");
    if (clear) {
      var form = document.getElementById(clear.getAttribute("data-clear-filters"));
      if (form) {
        e.preventDefault();
        form.querySelectorAll("input, select").forEach(function (el) {
          el.value = "";
        });
        form.requestSubmit();
        var first = form.querySelector("input, select");
        if (first) {
          first.focus();
        }
      }
    }
  });

  if (confirm) {
    confirm.addEventListener("close", function () {
      var del = asking;
      asking = null;
      if (!del) {
        return;
      }
      if (confirm.returnValue !== "delete") {
        del.focus();
        return;
      }
      var card = cardOf(del);
      var neighbour = null;
      if (card) {
        var sib = card.nextElementSibling;
        while (sib && !sib.classList.contains("installed-card")) {
          sib = sib.nextElementSibling;
        }
        if (!sib) {
          sib = card.previousElementSibling;
          while (sib && !sib.classList.contains("installed-card")) {
            sib = sib.previousElementSibling;
          }
        }
        neighbour = sib ? sib.id : null;
      }
      afterDelete = { card: neighbour };
      pending = null;
      // eslint-disable-next-line no-undef
      htmx.ajax("DELETE", del.getAttribute("data-delete"), {
        source: del,
        target: "#" + del.getAttribute("data-card"),
        swap: "outerHTML",
      });
    });
  }

  // The tenant switcher switches as soon as another tenant is chosen.
  var tenant = document.getElementById("tenant-select");
  if (tenant && tenant.form) {
    var button = tenant.form.querySelector("[data-switch-button]");
    if (button) {
      button.hidden = true;
    }
    tenant.addEventListener("change", function () {
      tenant.form.requestSubmit();
    });
  }
})();
