// Lists: a search box in form[data-live="<list id>"] filters as you type:
// after a short pause the form's address is fetched and the list element
// is swapped for the fresh one, the address bar follows, and the focus
// stays in the box. "Load more" links (a[data-more="<rows id>"]) append
// the next page's rows to the list instead of leaving the page. Without
// JavaScript the form submits and the link opens the next page.
(function () {
  "use strict";

  function fetchPage(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (res) {
        if (res.status >= 500) throw new Error("status " + res.status);
        return res.text();
      })
      .then(function (html) { return new DOMParser().parseFromString(html, "text/html"); });
  }

  // formURL is the GET address of the form as it stands, without empty fields.
  function formURL(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value.trim() !== "") params.append(key, value.trim());
    });
    var query = params.toString();
    return form.getAttribute("action") + (query ? "?" + query : "");
  }

  document.querySelectorAll("form[data-live]").forEach(function (form) {
    var input = form.querySelector("input[type=search]");
    var listID = form.getAttribute("data-live");
    if (!input || !listID) return;
    var timer, asked = 0, last = formURL(form);
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var url = formURL(form);
        if (url === last) return;
        last = url;
        var n = ++asked;
        fetchPage(url).then(function (doc) {
          var fresh = doc.getElementById(listID), old = document.getElementById(listID);
          if (n !== asked || !fresh || !old) return; // a newer search is on its way
          old.replaceWith(document.adoptNode(fresh));
          window.history.replaceState(null, "", url);
        }).catch(function () { /* keep the list; Enter still searches */ });
      }, 300);
    });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-more]") : null;
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    var rows = document.getElementById(link.getAttribute("data-more"));
    var pager = link.closest("[data-pager]");
    if (!rows || !pager || link.getAttribute("aria-busy") === "true") return;
    event.preventDefault();
    link.setAttribute("aria-busy", "true");
    link.classList.add("is-busy");
    fetchPage(link.href).then(function (doc) {
      var fresh = doc.getElementById(rows.id);
      if (!fresh) { window.location.assign(link.href); return; }
      var first = fresh.firstElementChild;
      while (fresh.firstChild) rows.appendChild(document.adoptNode(fresh.firstChild));
      var more = doc.querySelector('[data-pager="' + rows.id + '"] a[data-more]');
      if (more) {
        link.href = more.getAttribute("href");
        link.removeAttribute("aria-busy");
        link.classList.remove("is-busy");
      } else {
        pager.remove();
      }
      // Keyboard users carry on from the first new row.
      var focusable = first && first.querySelector("a, button, input, select");
      if (focusable) focusable.focus();
    }).catch(function () { window.location.assign(link.href); });
  });
})();
