// Forms: the submit button is disabled while the form is sending, selects
// marked data-autosubmit send their form on change, and success notices go
// away after a while (or at once with their close button).
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) return;
    var form = event.target;
    if (form.getAttribute("data-busy") === "1") {
      event.preventDefault(); // a second click while the first is on its way
      return;
    }
    form.setAttribute("data-busy", "1");
    var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
    // Disable after the browser has read the form, so that the button's
    // own name and value are still sent.
    window.setTimeout(function () {
      buttons.forEach(function (b) {
        b.disabled = true;
        b.classList.add("is-busy");
        b.setAttribute("aria-busy", "true");
      });
    }, 0);
  });

  // A page restored from the back-forward cache gets its buttons back.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-busy]").forEach(function (form) {
      form.removeAttribute("data-busy");
      form.querySelectorAll("button.is-busy").forEach(function (b) {
        b.disabled = false;
        b.classList.remove("is-busy");
        b.removeAttribute("aria-busy");
      });
    });
  });

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var form = select.form;
    if (!form) return;
    form.classList.add("is-auto");
    select.addEventListener("change", function () {
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else form.submit();
    });
  });

  document.querySelectorAll("[data-dismiss]").forEach(function (notice) {
    var close = notice.querySelector(".notice-close");
    var timer;
    function dismiss() {
      window.clearTimeout(timer);
      notice.classList.add("is-leaving");
      window.setTimeout(function () { notice.remove(); }, 400);
    }
    if (close) {
      close.hidden = false;
      close.addEventListener("click", dismiss);
    }
    timer = window.setTimeout(dismiss, 8000);
    // Keep it while the reader is on it.
    notice.addEventListener("mouseenter", function () { window.clearTimeout(timer); });
    notice.addEventListener("focusin", function () { window.clearTimeout(timer); });
  });
})();
