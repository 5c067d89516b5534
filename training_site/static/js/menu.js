// The header menu on narrow screens: a button that shows and hides it (without JavaScript the
// menu is simply always shown).
(function () {
  var button = document.querySelector(".menu-toggle");
  var menu = document.getElementById("site-menu");
  if (!button || !menu) return;
  var narrow = window.matchMedia("(max-width: 47.99rem)");
  function apply() {
    button.hidden = !narrow.matches;
    menu.classList.toggle("is-collapsed", narrow.matches && button.getAttribute("aria-expanded") !== "true");
  }
  button.addEventListener("click", function () {
    button.setAttribute("aria-expanded", button.getAttribute("aria-expanded") === "true" ? "false" : "true");
    apply();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      apply();
      button.focus();
    }
  });
  narrow.addEventListener("change", apply);
  apply();
})();
