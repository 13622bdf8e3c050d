// Live overview: on each server-sent "head" event, fetch the figures fragment
// and swap it in. Plain JS, no build step; EventSource reconnects by itself.
(function () {
  "use strict";
  const box = document.getElementById("figures");
  const badge = document.getElementById("live");
  if (!box || !window.EventSource) return;

  let loading = null;
  let again = false;

  function shownHead() {
    const content = document.getElementById("figures-content");
    return content ? content.dataset.asOf : "";
  }

  async function refresh() {
    if (loading) { again = true; return; }
    loading = fetch(box.dataset.fragment, { credentials: "same-origin" })
      .then(function (answer) {
        if (answer.status === 401) { window.location.assign("/office/login"); return null; }
        return answer.ok ? answer.text() : null;
      })
      .then(function (html) { if (html !== null) box.innerHTML = html; })
      .catch(function () { badge.classList.add("offline"); })
      .finally(function () {
        loading = null;
        if (again) { again = false; refresh(); }
      });
  }

  const events = new EventSource(box.dataset.events);
  events.addEventListener("head", function (event) {
    if (event.data !== shownHead()) refresh();
  });
  events.onopen = function () { badge.classList.remove("offline"); };
  events.onerror = function () { badge.classList.add("offline"); };
})();
