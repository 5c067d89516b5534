/* SCORM lesson page (site origin): follows what the launcher on the content origin reports
 * (only messages from that origin and that frame count), shows each part's status, moves to
 * the next part, and offers full screen. Study time is credited by player.js's heartbeats. */
(function () {
  "use strict";
  var root = document.querySelector("[data-scorm-player]");
  var frame = document.getElementById("scorm-frame");
  if (!root || !frame) return;
  var contentOrigin = root.getAttribute("data-content-origin");
  var labels = JSON.parse(document.getElementById("scorm-status-labels").textContent);
  var links = Array.prototype.slice.call(document.querySelectorAll("[data-scorm-item]"));
  var nextButton = document.querySelector("[data-scorm-next]");
  var current = links.filter(function (a) { return a.getAttribute("aria-current"); })[0] || null;

  function select(link) {
    links.forEach(function (a) { a.removeAttribute("aria-current"); });
    if (link) link.setAttribute("aria-current", "true");
    current = link;
    if (nextButton) nextButton.hidden = true;
  }
  links.forEach(function (link) {
    link.addEventListener("click", function () { select(link); });
  });

  function nextLink() {
    var index = links.indexOf(current);
    return index >= 0 && index + 1 < links.length ? links[index + 1] : null;
  }
  if (nextButton) {
    nextButton.addEventListener("click", function () {
      var link = nextLink();
      if (!link) return;
      select(link);
      frame.src = link.href;
    });
  }

  function showStatus(item, status, complete) {
    var tag = document.querySelector('[data-scorm-status="' + item + '"]');
    if (!tag) return;
    tag.textContent = complete ? labels.complete : (labels[status] || labels[""]);
    tag.classList.toggle("tag-ok", !!complete);
    var summary = document.querySelector("[data-scorm-progress-text]");
    if (summary) {
      var tags = document.querySelectorAll("[data-scorm-status]");
      var done = document.querySelectorAll("[data-scorm-status].tag-ok").length;
      summary.textContent = "（" + summary.getAttribute("data-template")
        .replace("{done}", done).replace("{total}", tags.length) + "）";
    }
  }

  function showPartsDone() {
    var item = document.querySelector('[data-checklist] [data-item="scorm"]');
    if (!item) return;
    item.setAttribute("data-done", "");
    var state = item.querySelector("[data-item-state]");
    if (state) state.textContent = root.getAttribute("data-msg-done") || "✔";
  }

  function allPartsDone() {
    var tags = document.querySelectorAll("[data-scorm-status]");
    if (!tags.length) return true;  // one part: this message is about it
    return document.querySelectorAll("[data-scorm-status].tag-ok").length === tags.length;
  }

  function showLessonComplete() {
    showPartsDone();
    if (root.hasAttribute("data-completed")) return;
    root.setAttribute("data-completed", "");
    var box = document.getElementById("complete");
    if (box && !document.querySelector('[data-testid="lesson-complete-live"]')) {
      var note = document.createElement("p");
      note.className = "status-done";
      note.setAttribute("role", "status");
      note.setAttribute("data-testid", "lesson-complete-live");
      note.textContent = root.getAttribute("data-msg-lesson-complete");
      box.insertBefore(note, box.children[1] || null);
    }
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== contentOrigin || event.source !== frame.contentWindow) return;
    var message = event.data;
    if (!message || message.source !== "lms-scorm") return;
    if (message.event === "commit") {
      showStatus(message.item, message.status, message.scoComplete);
      if (message.lessonComplete) showLessonComplete();
      else if (message.scoComplete && allPartsDone()) showPartsDone();
      if (message.scoComplete && nextButton && nextLink()) nextButton.hidden = false;
    } else if (message.event === "finish" && nextButton && nextLink()) {
      nextButton.hidden = false;
    }
  });

  var fullscreen = document.querySelector("[data-scorm-fullscreen]");
  var stage = document.getElementById("scorm-stage");
  if (fullscreen && stage && stage.requestFullscreen) {
    fullscreen.hidden = false;
    fullscreen.addEventListener("click", function () { stage.requestFullscreen(); });
  }
})();
