// Times: <time datetime="…" data-relative>3 minutes ago</time> stays
// relative as the page stays open, and shows the exact time in the viewer's
// own time zone on hover.
(function () {
  "use strict";
  var rtf = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat("en", { numeric: "auto" }) : null;
  var exact = window.Intl ? new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }) : null;
  var units = [
    ["year", 365 * 24 * 3600], ["month", 30 * 24 * 3600], ["day", 24 * 3600],
    ["hour", 3600], ["minute", 60]
  ];

  function relative(date) {
    var secs = (date.getTime() - Date.now()) / 1000;
    if (Math.abs(secs) < 45) return "just now";
    for (var i = 0; i < units.length; i++) {
      var n = secs / units[i][1];
      if (Math.abs(n) >= 1 || units[i][0] === "minute") {
        n = Math.round(n);
        if (rtf) return rtf.format(n, units[i][0]);
        var abs = Math.abs(n), word = units[i][0] + (abs === 1 ? "" : "s");
        return n < 0 ? abs + " " + word + " ago" : "in " + abs + " " + word;
      }
    }
    return "";
  }

  function update() {
    document.querySelectorAll("time[data-relative]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date.getTime())) return;
      var text = relative(date);
      if (text) el.textContent = text;
      if (exact) el.title = exact.format(date);
    });
  }

  update();
  window.setInterval(update, 30000);
})();

// Exact times: <time datetime="…" data-exact> shows the date and time in
// the viewer's own time zone; a form's <input data-tz> sends that zone, so
// that the server reads its dates as the viewer's days.
(function () {
  "use strict";
  if (!window.Intl) return;
  var fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  document.querySelectorAll("time[data-exact]").forEach(function (el) {
    var date = new Date(el.getAttribute("datetime"));
    if (!isNaN(date.getTime())) el.textContent = fmt.format(date);
  });
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone) {
    document.querySelectorAll("input[data-tz]").forEach(function (el) {
      if (!el.value) el.value = zone;
    });
  }
})();
