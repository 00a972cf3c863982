// Conditionally required fields (a payload field's `required_when:` in the definition): a progressive
// enhancement. The input carries data-required-when-field (the controlling field's name in the same form) and
// data-required-when-in (its values, space-separated); while one of them is chosen the input is required, so
// the browser stops an empty submission before it is sent, and the label's * marker shows. Without JavaScript
// the label's text still says when the field is required, and the engine refuses the step naming both fields.
// A field shown as checkboxes (a fieldset, with a textarea for entries typed beside them) is required the same
// way: while it is, a submission with no box ticked and nothing typed is stopped at the first box.
(function () {
  "use strict";

  function filled(fieldset) {
    var parts = fieldset.querySelectorAll("input[type=checkbox], textarea");
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].type === "checkbox" ? parts[i].checked : parts[i].value.trim() !== "") return true;
    }
    return false;
  }

  function follow(input) {
    var form = input.form;
    var control = form && form.elements.namedItem(input.getAttribute("data-required-when-field"));
    if (!control) return;
    var values = input.getAttribute("data-required-when-in").split(" ");
    var group = input.tagName === "FIELDSET";
    var label = group ? input.querySelector("legend") : form.querySelector('label[for="' + input.id + '"]');
    var star = label && label.querySelector(".required-when-star");
    var said = label && label.querySelector(".req-when");
    var first = group && input.querySelector("input[type=checkbox], textarea");
    function update() {
      var on = values.indexOf(control.value) !== -1;
      if (group) {
        if (first) first.setCustomValidity(on && !filled(input) ? (said ? said.textContent : "*") : "");
      } else {
        input.required = on;
      }
      if (star) star.hidden = !on;
    }
    (control.addEventListener ? control : form).addEventListener("change", update);
    if (group) input.addEventListener("input", update);
    if (group) input.addEventListener("change", update);
    update();
  }

  function start() {
    var inputs = document.querySelectorAll("[data-required-when-field]");
    for (var i = 0; i < inputs.length; i++) follow(inputs[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
