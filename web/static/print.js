// The case page's 打印 button: a progressive enhancement. The button is hidden until this script shows it (without
// JavaScript the browser's own print command does the same); the print stylesheet (lawflow.css, @media print)
// leaves out the navigation, the step forms and the filters, and keeps the case, its periods and its history.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
