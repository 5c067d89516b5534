/* The test SCO: a score (cmi.core.score.*), one interaction per question, and passed or
 * failed against the manifest's mastery score (cmi.student_data.mastery_score). */
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  var scoreText = document.getElementById("score");
  var retry = document.getElementById("retry");
  var connected = SCORM.start();
  var startedAt = new Date();
  var passedBefore = connected && SCORM.get("cmi.core.lesson_status") === "passed";
  if (connected && !passedBefore) SCORM.set("cmi.core.lesson_status", "incomplete");

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function clock(date) { return pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()); }
  function latency(ms) {
    var s = Math.floor(ms / 1000);
    return "00" + pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var questions = form.querySelectorAll("[data-question]");
    var correct = 0;
    var base = connected ? parseInt(SCORM.get("cmi.interactions._count"), 10) || 0 : 0;
    for (var i = 0; i < questions.length; i += 1) {
      var question = questions[i];
      var chosen = form.querySelector('input[name="' + question.getAttribute("data-question") + '"]:checked');
      var answer = chosen ? chosen.value : "";
      var right = answer === question.getAttribute("data-answer");
      if (right) correct += 1;
      if (connected) {
        var prefix = "cmi.interactions." + (base + i) + ".";
        SCORM.set(prefix + "id", question.getAttribute("data-question"));
        SCORM.set(prefix + "type", "choice");
        SCORM.set(prefix + "time", clock(new Date()));
        SCORM.set(prefix + "student_response", answer);
        SCORM.set(prefix + "correct_responses.0.pattern", question.getAttribute("data-answer"));
        SCORM.set(prefix + "result", right ? "correct" : "wrong");
        SCORM.set(prefix + "latency", latency(new Date() - startedAt));
      }
    }
    var score = Math.round((correct / questions.length) * 100);
    var mastery = connected ? parseFloat(SCORM.get("cmi.student_data.mastery_score")) : NaN;
    if (isNaN(mastery)) mastery = 80;
    var passed = score >= mastery;
    if (connected) {
      SCORM.set("cmi.core.score.min", "0");
      SCORM.set("cmi.core.score.max", "100");
      SCORM.set("cmi.core.score.raw", String(score));
      SCORM.set("cmi.core.lesson_status", passed ? "passed" : "failed");
      SCORM.commit();
    }
    scoreText.hidden = false;
    scoreText.className = passed ? "done" : "bad";
    scoreText.textContent = score + " 点（" + (passed ? "合格" : "不合格：もう一度解いてください") + "）";
    form.querySelector("#grade").disabled = true;
    if (passed) {
      if (connected) SCORM.finish("");
    } else {
      retry.hidden = false;
    }
  });
  retry.addEventListener("click", function () {
    form.reset();
    form.querySelector("#grade").disabled = false;
    retry.hidden = true;
    scoreText.hidden = true;
    startedAt = new Date();
  });
  window.addEventListener("pagehide", function () { SCORM.finish(""); });
})();
