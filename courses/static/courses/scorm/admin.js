/* Admin: upload a SCORM package with a progress bar (XMLHttpRequest's upload events), then
 * follow the import's progress. Without this script the form posts as usual. */
(function () {
  "use strict";

  var form = document.querySelector("[data-scorm-upload]");
  if (form && window.FormData && window.XMLHttpRequest) {
    var box = form.querySelector("[data-scorm-progress]");
    var bar = box.querySelector("progress");
    var text = box.querySelector("[role=status]");
    var errors = form.querySelector("[data-scorm-errors]");
    var input = form.querySelector("input[type=file]");
    var button = form.querySelector("button[type=submit]");

    function showErrors(list) {
      errors.innerHTML = "";
      list.forEach(function (message) {
        var li = document.createElement("li");
        li.textContent = message;
        errors.appendChild(li);
      });
      errors.hidden = list.length === 0;
    }

    form.addEventListener("submit", function (event) {
      var file = input && input.files && input.files[0];
      if (!file) return; // the server says what is missing
      var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
      if (!/\.zip$/i.test(file.name)) {
        event.preventDefault();
        showErrors([form.getAttribute("data-msg-not-zip")]);
        return;
      }
      if (limit && file.size > limit) {
        event.preventDefault();
        showErrors([form.getAttribute("data-msg-too-large")]);
        return;
      }
      event.preventDefault();
      showErrors([]);
      var request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      request.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var percent = Math.floor((e.loaded / e.total) * 100);
        bar.value = percent;
        text.textContent = form.getAttribute("data-msg-uploading") + " " + percent + "%";
        if (e.loaded >= e.total) text.textContent = form.getAttribute("data-msg-checking");
      });
      request.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(request.responseText); } catch (e) { body = null; }
        if (body && body.redirect) {
          window.location.assign(body.redirect);
          return;
        }
        button.disabled = false;
        box.hidden = true;
        showErrors(body && body.errors ? body.errors : [form.getAttribute("data-msg-failed")]);
      });
      request.addEventListener("error", function () {
        button.disabled = false;
        box.hidden = true;
        showErrors([form.getAttribute("data-msg-failed")]);
      });
      button.disabled = true;
      box.hidden = false;
      bar.value = 0;
      text.textContent = form.getAttribute("data-msg-uploading");
      request.send(new FormData(form));
    });
  }

  var importBox = document.querySelector("[data-scorm-import]");
  if (importBox && importBox.getAttribute("data-status") === "importing" && window.fetch) {
    var importBar = importBox.querySelector("progress");
    var importText = importBox.querySelector("[data-scorm-import-text]");
    var template = importBox.getAttribute("data-msg-progress");
    var poll = function () {
      fetch(importBox.getAttribute("data-status-url"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          if (data.status !== "importing") { window.location.reload(); return; }
          importBar.max = data.total || 1;
          importBar.value = data.done || 0;
          importText.textContent = template.replace("{done}", data.done).replace("{total}", data.total);
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    window.setTimeout(poll, 1000);
  }
})();
