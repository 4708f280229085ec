// Form builder (/formulare/…): refresh the preview while typing, without saving. The page works
// without this script: "Vorschau aktualisieren" posts the form and renders the same preview.
(function () {
  "use strict";
  var form = document.getElementById("builder-form");
  var target = document.getElementById("builder-preview");
  if (!form || !target || !window.fetch) { return; }
  var timer = null;
  function refresh() {
    var data = new FormData(form);
    data.delete("action");
    fetch(form.getAttribute("data-preview"), { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { target.innerHTML = html; } })
      .catch(function () { /* keep the last preview */ });
  }
  function later() { clearTimeout(timer); timer = setTimeout(refresh, 400); }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
