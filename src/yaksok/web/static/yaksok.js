// Progressive enhancement only: the pages say everything without this script.
// It adds the visitor's own local time next to each promised time and a live countdown.
(function () {
  "use strict";

  var body = document.body;
  var lang = document.documentElement.lang === "ko" ? "ko-KR" : "en";
  // Count down against the server's clock, so a visitor whose clock is wrong still sees the truth.
  var serverNow = Date.parse(body.getAttribute("data-server-now") || "");
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();

  function now() {
    return Date.now() + skew;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function localTimes() {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var format = new Intl.DateTimeFormat(lang, {
      year: "numeric", month: "short", day: "numeric", weekday: "short",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
    var label = body.getAttribute("data-your-time") || "your time";
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime())) return;
      var line = document.createElement("span");
      line.className = "local-time";
      line.textContent = label + " (" + zone + "): " + format.format(at);
      el.insertAdjacentElement("afterend", line);
    });
  }

  function countdownText(target) {
    var left = Math.floor((target - now()) / 1000);
    if (left <= 0) return body.getAttribute("data-countdown-passed") || "";
    var days = Math.floor(left / 86400);
    var hms = pad(Math.floor(left % 86400 / 3600)) + ":" + pad(Math.floor(left % 3600 / 60)) + ":" + pad(left % 60);
    var pattern = body.getAttribute("data-countdown-pattern") || "{d} d {hms}";
    return pattern.replace("{d}", String(days)).replace("{hms}", hms);
  }

  function countdowns() {
    var items = Array.prototype.map.call(document.querySelectorAll(".countdown[data-countdown]"), function (el) {
      return { el: el, target: Date.parse(el.getAttribute("data-countdown")) };
    }).filter(function (item) { return !isNaN(item.target); });
    if (!items.length) return;
    function tick() {
      items.forEach(function (item) {
        item.el.textContent = countdownText(item.target);
        item.el.hidden = false;
      });
    }
    tick();
    setInterval(tick, 1000);
  }

  localTimes();
  countdowns();
})();
