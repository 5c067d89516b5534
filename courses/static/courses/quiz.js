/* The quiz form during the wait between two attempts: its button waits too (the server refuses
 * an early submission anyway, and the answers typed meanwhile would be lost). */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-quiz-wait]"), function (note) {
    var form = note.closest("form");
    var button = form && form.querySelector("button[type=submit]");
    var at = Date.parse(note.getAttribute("data-available-at"));
    if (!button || isNaN(at)) return;
    function check() {
      if (Date.now() >= at) {
        button.disabled = false;
        note.hidden = true;
        return;
      }
      button.disabled = true;
      setTimeout(check, Math.min(1000, at - Date.now()));
    }
    check();
  });
})();
