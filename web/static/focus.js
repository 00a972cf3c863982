// After a refused submission the page comes back with the refusal (web/templates/macros.html `reasons`): open it
// where the refusal is, and give it the focus, so that a screen reader reads it first and nobody has to scroll
// to find why. A progressive enhancement: role="alert" announces it without JavaScript too.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var refusal = document.querySelector("[data-focus-on-load]");
    if (!refusal) return;
    var step = refusal.closest("details");
    if (step) step.open = true;
    refusal.scrollIntoView({ block: "center" });
    refusal.focus({ preventScroll: true });
  });
})();
