// Upload progress for the forms that send a file (form[data-upload]): a progressive enhancement. Without
// JavaScript the form posts as before; with it the same POST goes through XMLHttpRequest so that the bytes
// sent can be shown while a large audio-video record uploads, and whatever the server answers (the case page
// after the redirect, with its message, or the refusal with its reasons) replaces the page, as a normal
// submission would.
(function () {
  "use strict";

  function enhance(form) {
    var status = form.querySelector(".upload-progress");
    if (!status || !window.FormData || !window.XMLHttpRequest) return;
    var bar = status.querySelector("progress");
    var shown = status.querySelector("output");
    form.addEventListener("submit", function (event) {
      var file = form.querySelector("input[type=file]");
      if (!file || !file.files.length) return; // nothing to upload: the browser's own submission
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      status.hidden = false;
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", function (progress) {
        if (!progress.lengthComputable) return;
        bar.max = progress.total;
        bar.value = progress.loaded;
        shown.textContent = Math.floor((progress.loaded * 100) / progress.total) + "%";
      });
      request.addEventListener("load", function () {
        var url = request.responseURL || form.action;
        document.open();
        document.write(request.responseText);
        document.close();
        if (window.history && history.replaceState) history.replaceState(null, "", url);
      });
      request.addEventListener("error", function () {
        shown.textContent = status.getAttribute("data-failed") || "";
        if (button) button.disabled = false;
      });
      request.send(new FormData(form));
    });
  }

  function start() {
    var forms = document.querySelectorAll("form[data-upload]");
    for (var i = 0; i < forms.length; i++) enhance(forms[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
