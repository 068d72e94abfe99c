// Live updates of a run page: poll the run's progress; when new events arrive, fetch the
// server-rendered report fragment and swap it in. Stops once the run has ended.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) return;
  var run = encodeURIComponent(live.dataset.run);
  var delay = 2000;

  function poll() {
    fetch("/api/runs/" + run + "/progress", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        var status = document.getElementById("run-status");
        if (status) status.textContent = p.status;
        if (String(p.last_seq) !== live.dataset.seq) {
          return fetch("/runs/" + run + "/live", { cache: "no-store" })
            .then(function (r) { return r.text(); })
            .then(function (html) {
              var fresh = document.createElement("template");
              fresh.innerHTML = html;
              Array.prototype.slice.call(fresh.content.children).forEach(function (part) {
                var old = part.id && document.getElementById(part.id);
                if (old) old.replaceWith(part);
              });
              live.dataset.seq = String(p.last_seq);
              live.dataset.ended = String(p.ended);
              return p;
            });
        }
        return p;
      })
      .then(function (p) {
        if (p && p.ended && String(p.last_seq) === live.dataset.seq) {
          var dot = document.getElementById("live-indicator");
          if (dot) dot.remove();
          return;
        }
        setTimeout(poll, delay);
      })
      .catch(function () { setTimeout(poll, delay * 2); });
  }
  if (live.dataset.ended !== "true") setTimeout(poll, delay);
})();
