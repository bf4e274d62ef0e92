// Copy buttons: <button data-copy="#id" hidden>Copy</button> copies the text
// (or value) of the element #id and says "Copied" for a moment. The button
// stays hidden without JavaScript, where the text can be selected by hand.
(function () {
  "use strict";

  function textOf(el) {
    return "value" in el && typeof el.value === "string" ? el.value : el.textContent.trim();
  }

  function fallbackCopy(el, text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr-only";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    if (el.select) el.select();
    return ok;
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target) return;
    var label = button.textContent;
    var timer;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = textOf(target);
      function done(ok) {
        button.textContent = ok ? "Copied" : "Press Ctrl+C to copy";
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { button.textContent = label; }, 2000);
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(fallbackCopy(target, text)); });
      } else {
        done(fallbackCopy(target, text));
      }
    });
  });
})();
