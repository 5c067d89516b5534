/* FAQ disclosures: each question is a button (aria-expanded) that shows or hides its answer.
   Without JavaScript every answer stays visible. After a search the answers found stay open. */
(function () {
  "use strict";
  var open = !!document.querySelector("[data-testid=faq-count]");
  document.querySelectorAll(".faq-toggle").forEach(function (button) {
    var answer = document.getElementById(button.getAttribute("aria-controls"));
    if (!answer) return;
    function set(expanded) {
      button.setAttribute("aria-expanded", expanded ? "true" : "false");
      answer.hidden = !expanded;
    }
    set(open);
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
  });
})();
