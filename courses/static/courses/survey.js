/* The post-course survey on a phone: one question per screen (progressive enhancement).
   Without JavaScript, or on a wide screen, every question is on the one page. */
(function () {
  "use strict";
  var form = document.querySelector(".survey-form");
  if (!form || !window.matchMedia) return;
  var narrow = window.matchMedia("(max-width: 40em)");
  var steps = Array.prototype.slice.call(form.querySelectorAll(".survey-step"));
  var progress = form.querySelector(".survey-progress");
  var actions = form.querySelector(".survey-actions");
  if (steps.length < 2) return;
  var current = 0;
  var firstError = steps.findIndex(function (s) { return s.classList.contains("field-error"); });
  if (firstError >= 0) current = firstError;

  var nav = document.createElement("div");
  nav.className = "survey-nav";
  var back = document.createElement("button");
  back.type = "button";
  back.className = "button button-secondary";
  back.textContent = form.dataset.back;
  var next = document.createElement("button");
  next.type = "button";
  next.className = "button";
  next.textContent = form.dataset.next;
  var missing = document.createElement("p");
  missing.className = "error-text";
  missing.id = "survey-step-missing";
  missing.setAttribute("role", "alert");
  missing.hidden = true;
  nav.appendChild(back);
  nav.appendChild(next);
  actions.parentNode.insertBefore(nav, actions);
  nav.appendChild(missing);

  function answered(step) {
    if (step.dataset.required !== "1") return true;
    var inputs = step.querySelectorAll("input, textarea");
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if ((el.type === "radio" || el.type === "checkbox") ? el.checked : el.value.trim()) return true;
    }
    return false;
  }

  function show(focus) {
    var stepped = narrow.matches;
    steps.forEach(function (step, i) { step.hidden = stepped && i !== current; });
    nav.hidden = !stepped;
    progress.hidden = !stepped;
    missing.hidden = true;
    next.removeAttribute("aria-describedby");
    if (!stepped) { actions.hidden = false; return; }
    var last = current === steps.length - 1;
    back.hidden = current === 0;
    next.hidden = last;
    actions.hidden = !last;
    progress.textContent = form.dataset.progress + " " + (current + 1) + " / " + steps.length;
    if (focus) {
      var legend = steps[current].querySelector("legend");
      legend.setAttribute("tabindex", "-1");
      legend.focus();
    }
  }

  next.addEventListener("click", function () {
    if (!answered(steps[current])) {
      missing.textContent = form.dataset.missing;
      missing.hidden = false;
      next.setAttribute("aria-describedby", missing.id);
      return;
    }
    current = Math.min(current + 1, steps.length - 1);
    show(true);
  });
  back.addEventListener("click", function () {
    current = Math.max(current - 1, 0);
    show(true);
  });
  narrow.addEventListener("change", function () { show(false); });
  show(false);
})();
