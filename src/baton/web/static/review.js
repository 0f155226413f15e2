// Keyboard shortcuts for the rater's page. The form works without this script.
// y / n: answer the highlighted response and move to the next unanswered one;
// ArrowLeft / ArrowRight: move; Enter: send when every response is answered;
// "/": write a note (Escape leaves it); s then 1..9: skip with that reason.
(function () {
  "use strict";
  // A sent screen is answered with the next one, at /rate/<slot>: show /rate instead, so
  // a reload loads the current screen rather than sending the last form again.
  if (/^\/rate\/\d+(\/skip)?$/.test(window.location.pathname)) {
    window.history.replaceState(null, "", "/rate");
  }
  const form = document.getElementById("label-form");
  if (!form) { return; }
  const panels = Array.from(form.querySelectorAll("fieldset.answer"));
  const reasons = Array.from(form.querySelectorAll("button.skip-reason"));
  const skipLine = form.querySelector(".skip");
  const note = document.getElementById("note");
  let current = 0;
  let skipping = false;

  function answered(panel) {
    return panel.querySelector("input[type=radio]:checked") !== null;
  }
  function highlight(index) {
    current = Math.max(0, Math.min(panels.length - 1, index));
    panels.forEach(function (panel, i) { panel.classList.toggle("current", i === current); });
    panels[current].scrollIntoView({ block: "nearest" });
  }
  function nextUnanswered() {
    for (let step = 1; step <= panels.length; step += 1) {
      const i = (current + step) % panels.length;
      if (!answered(panels[i])) { return i; }
    }
    return -1;
  }
  function answer(value) {
    const input = panels[current].querySelector("input[value='" + value + "']");
    input.checked = true;
    const next = nextUnanswered();
    highlight(next === -1 ? current : next);
  }
  function setSkipping(on) {
    skipping = on;
    skipLine.classList.toggle("active", on);
  }

  panels.forEach(function (panel, i) {
    panel.addEventListener("click", function () { highlight(i); });
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    const target = event.target;
    if (target === note) {
      if (event.key === "Escape") { note.blur(); event.preventDefault(); }
      return;
    }
    if (skipping) {
      const index = parseInt(event.key, 10);
      if (index >= 1 && index <= reasons.length) {
        event.preventDefault();
        form.requestSubmit(reasons[index - 1]);
      } else if (event.key === "Escape") {
        setSkipping(false);
      }
      return;
    }
    switch (event.key) {
      case "y": case "Y": answer("1"); break;
      case "n": case "N": answer("0"); break;
      case "ArrowRight": highlight(current + 1); break;
      case "ArrowLeft": highlight(current - 1); break;
      case "/": note.focus(); break;
      case "s": case "S": setSkipping(true); break;
      case "Enter":
        if (panels.every(answered)) {
          form.requestSubmit(document.getElementById("send"));
        } else {
          highlight(panels.findIndex(function (p) { return !answered(p); }));
        }
        break;
      default: return;
    }
    event.preventDefault();
  });
  highlight(0);
})();
