// The Login As banner (layout.html, "login-as-banner"): counts down the idle
// time left, warns a minute before the end with a button that keeps the
// session going (any request slides the timeout; this one asks /api/v1/me),
// and at the end reloads the page, which the server answers by returning to
// the agency page with a notice saying why.
(function () {
  "use strict";
  var banner = document.getElementById("login-as-banner");
  if (!banner) {
    return;
  }
  var left = banner.querySelector("[data-login-as-left]");
  var stay = banner.querySelector("[data-login-as-stay]");
  var expires = Date.parse(banner.getAttribute("data-expires"));
  // The server's clock may differ from this one: count from the idle time
  // the page was given, starting now.
  var idle = parseInt(banner.getAttribute("data-idle"), 10);
  if (!isNaN(idle) && idle > 0) {
    expires = Date.now() + idle * 1000;
  }
  if (isNaN(expires)) {
    return;
  }
  function clock(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    var m = Math.floor(s / 60);
    s = s % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  var ended = false;
  function tick() {
    var ms = expires - Date.now();
    if (ms <= 0) {
      left.textContent = "Login As has ended.";
      // A moment later than the server's end, so that the reload does not
      // arrive just in time to keep it going.
      if (!ended && ms <= -2000) {
        ended = true;
        window.location.reload();
      }
      return;
    }
    var warn = ms <= 60000;
    banner.classList.toggle("login-as-warn", warn);
    stay.hidden = !warn;
    left.textContent = "Ends in " + clock(ms) + " without activity.";
  }
  stay.addEventListener("click", function () {
    stay.disabled = true;
    fetch("/api/v1/me", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (me) {
        stay.disabled = false;
        if (me && me.impersonation) {
          expires = Date.now() + me.impersonation.idle_seconds * 1000;
          tick();
        } else {
          window.location.reload();
        }
      })
      .catch(function () { stay.disabled = false; });
  });
  tick();
  window.setInterval(tick, 1000);
})();
