/* Small progressive enhancements: copy buttons, upload progress, confirmations, the phone
 * menu. The IVR menu editor is menu.js. */
document.documentElement.classList.add("js");
(function () {
  "use strict";

  // A form with data-confirm asks before it is sent (removing a number, archiving).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A field's error goes away as soon as the field is changed (the server checks again).
  function clearError(event) {
    var field = event.target.closest && event.target.closest(".field.has-error");
    if (!field) return;
    field.classList.remove("has-error");
    field.querySelectorAll(".errorlist").forEach(function (list) { list.remove(); });
  }
  document.addEventListener("input", clearError);
  document.addEventListener("change", clearError);

  // Settings of one campaign type only (OTP reading vs key-press menu, retries, hours)
  // are shown for that type.
  function showForType() {
    var select = document.getElementById("id_campaign_type");
    if (!select) return;
    document.querySelectorAll("[data-for-type]").forEach(function (node) {
      node.hidden = node.dataset.forType !== select.value;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "id_campaign_type") showForType();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showForType);
  else showForType();

  // The phone's menu button opens and closes the navigation.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".nav-toggle");
    if (!toggle) return;
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!nav) return;
    var open = nav.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  function copyText(text, button) {
    function done() {
      var old = button.textContent;
      button.textContent = button.dataset.copied || "✓";
      setTimeout(function () { button.textContent = old; }, 1500);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
    } else { fallback(text); done(); }
  }
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.dataset.copy);
    if (source) copyText(source.textContent.trim(), button);
  });

  // Upload with a progress bar: the file goes up by XHR so the bar can follow it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-upload-progress]") || !window.FormData) return;
    var bar = document.querySelector(form.dataset.uploadProgress);
    if (!bar) return;
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    bar.hidden = false;
    var fill = bar.querySelector("span"), label = bar.parentNode.querySelector("[data-progress-label]");
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.round((e.loaded / e.total) * 100);
      fill.style.width = pct + "%";
      if (label) label.textContent = pct + "%";
    };
    xhr.onload = function () {
      if (xhr.responseURL && xhr.responseURL !== window.location.href && xhr.status < 400 &&
          xhr.getResponseHeader("X-Form-Errors") !== "1") {
        window.location.href = xhr.responseURL;
      } else {
        document.open(); document.write(xhr.responseText); document.close();
      }
    };
    xhr.onerror = function () { form.submit(); };
    xhr.send(new FormData(form));
  });
})();

/* A poll answered by the sign-in page means the session ended: go there instead of
 * swapping a whole login form into a table cell. */
document.addEventListener("htmx:beforeSwap", function (event) {
  var url = event.detail.xhr.responseURL || "";
  if (url.indexOf("/login/") !== -1 && window.location.pathname.indexOf("/login/") === -1) {
    event.detail.shouldSwap = false;
    window.location.href = url;
  }
});

/* The campaign page: when the polled panel reports another status (it completed, a
 * scheduled start came, someone stopped it elsewhere), reload so the title and the
 * buttons match it. */
document.addEventListener("htmx:afterSwap", function (event) {
  if (!event.detail.target || event.detail.target.id !== "campaign-progress") return;
  var shown = document.getElementById("campaign-status");
  var now = document.getElementById("campaign-activity");
  if (shown && now && shown.dataset.status !== now.dataset.status) window.location.reload();
});
