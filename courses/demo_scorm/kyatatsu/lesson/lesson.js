/* The lesson SCO: pages with a bookmark (cmi.core.lesson_location) and the pages seen
 * (cmi.suspend_data), so that a member resumes where they left off. */
(function () {
  "use strict";
  var pages = document.querySelectorAll("[data-page]");
  var position = document.getElementById("position");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var finishButton = document.getElementById("finish");
  var result = document.getElementById("result");
  var connected = SCORM.start();
  var state = { seen: [] };
  var current = 0;
  var completed = false;

  if (!connected) document.getElementById("no-lms").hidden = false;
  if (connected) {
    var status = SCORM.get("cmi.core.lesson_status");
    completed = status === "completed" || status === "passed";
    if (!completed) SCORM.set("cmi.core.lesson_status", "incomplete");
    // leaving before the end keeps the place: the next launch is a resume
    SCORM.set("cmi.core.exit", "suspend");
    try { state = JSON.parse(SCORM.get("cmi.suspend_data")) || state; } catch (e) { state = { seen: [] }; }
    var bookmark = parseInt(SCORM.get("cmi.core.lesson_location"), 10);
    if (SCORM.get("cmi.core.entry") === "resume" && bookmark >= 1 && bookmark <= pages.length) {
      current = bookmark - 1;
    }
  }

  function show(index) {
    current = index;
    for (var i = 0; i < pages.length; i += 1) pages[i].hidden = i !== index;
    position.textContent = (index + 1) + " / " + pages.length;
    prev.disabled = index === 0;
    next.hidden = index === pages.length - 1;
    finishButton.hidden = index !== pages.length - 1;
    if (state.seen.indexOf(index + 1) < 0) state.seen.push(index + 1);
    if (connected) {
      SCORM.set("cmi.core.lesson_location", String(index + 1));
      SCORM.set("cmi.suspend_data", JSON.stringify(state));
      SCORM.commit();
    }
  }

  prev.addEventListener("click", function () { if (current > 0) show(current - 1); });
  next.addEventListener("click", function () { if (current < pages.length - 1) show(current + 1); });
  finishButton.addEventListener("click", function () {
    completed = true;
    if (connected) {
      SCORM.set("cmi.core.lesson_status", "completed");
      SCORM.commit();
      SCORM.finish("");
    }
    finishButton.disabled = true;
    result.hidden = false;
  });
  window.addEventListener("pagehide", function () { SCORM.finish(completed ? "" : "suspend"); });
  show(current);
})();
