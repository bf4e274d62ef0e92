// Destructive buttons ask once before their form is sent:
// <button data-confirm="Revoke the token “x”? …">. The question names what
// will happen. Runs in the capture phase, before forms.js disables the button.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
