// presswatch: a little progressive enhancement; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Filter forms marked data-autosubmit apply as soon as a select changes.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // Closing a case asks once, since it creates training labels.
  var close = document.getElementById("form-close");
  if (close) {
    close.addEventListener("submit", function (event) {
      var message = document.documentElement.lang === "en" ? "Close this case?" : "Đóng vụ việc này?";
      if (!window.confirm(message)) { event.preventDefault(); }
    });
  }
});
