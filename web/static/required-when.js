// Conditionally required fields (a payload field's `required_when:` in the definition): a progressive
// enhancement. The input carries data-required-when-field (the controlling field's name in the same form) and
// data-required-when-in (its values, space-separated); while one of them is chosen the input is required, so
// the browser stops an empty submission before it is sent, and the label's * marker shows. Without JavaScript
// the label's text still says when the field is required, and the engine refuses the step naming both fields.
(function () {
  "use strict";

  function follow(input) {
    var form = input.form;
    var control = form && form.elements.namedItem(input.getAttribute("data-required-when-field"));
    if (!control) return;
    var values = input.getAttribute("data-required-when-in").split(" ");
    var label = form.querySelector('label[for="' + input.id + '"]');
    var star = label && label.querySelector(".required-when-star");
    function update() {
      var on = values.indexOf(control.value) !== -1;
      input.required = on;
      if (star) star.hidden = !on;
    }
    control.addEventListener("change", update);
    update();
  }

  function start() {
    var inputs = document.querySelectorAll("[data-required-when-field]");
    for (var i = 0; i < inputs.length; i++) follow(inputs[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
