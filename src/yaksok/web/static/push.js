// "Remind me in this browser" on a launch page: progressive enhancement only, shown where the
// browser can receive Web Push. It registers the service worker (/sw.js), subscribes with the
// server's VAPID key (GET /push/key) and posts the subscription to POST /launches/{slug}/push;
// pressed again, it unsubscribes. Which launches this browser follows is kept in localStorage.
(function () {
  "use strict";

  var box = document.querySelector("[data-push-launch]");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window) || !window.isSecureContext) return;
  var button = box.querySelector("button");
  var status = box.querySelector("[role=status]");
  var slug = box.getAttribute("data-push-launch");
  var remembered = "yaksok-push:" + slug;

  function say(name) {
    status.textContent = box.getAttribute("data-push-" + name) || "";
    box.setAttribute("data-push-state", name);
  }

  function following(yes) {
    try {
      if (yes) localStorage.setItem(remembered, "1");
      else localStorage.removeItem(remembered);
    } catch (error) { /* storage refused: the button just forgets */ }
    button.textContent = box.getAttribute(yes ? "data-push-stop" : "data-push-start");
    button.setAttribute("aria-pressed", yes ? "true" : "false");
  }

  function isFollowing() {
    try {
      return localStorage.getItem(remembered) === "1";
    } catch (error) {
      return false;
    }
  }

  function keyBytes(text) {
    var base64 = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (answer) {
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      return answer.json();
    });
  }

  // What the API takes of a PushSubscription: its endpoint and keys, as toJSON() gives them.
  function shape(made) {
    var json = made.toJSON();
    return { endpoint: json.endpoint, expirationTime: json.expirationTime, keys: json.keys };
  }

  function subscription(registration) {
    return registration.pushManager.getSubscription().then(function (existing) {
      if (existing) return existing;
      return fetch("/push/key").then(function (answer) {
        return answer.json();
      }).then(function (key) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(key.public_key)
        });
      });
    });
  }

  var registered = navigator.serviceWorker.register("/sw.js", { scope: "/" });
  box.hidden = false;
  following(isFollowing());

  button.addEventListener("click", function () {
    button.disabled = true;
    var stopping = isFollowing();
    registered.then(function (registration) {
      if (stopping) {
        return registration.pushManager.getSubscription().then(function (existing) {
          return existing ? post("/launches/" + slug + "/push/unsubscribe", shape(existing)) : null;
        }).then(function () {
          following(false);
          say("off");
        });
      }
      return subscription(registration).then(function (made) {
        var body = shape(made);
        body.language = box.getAttribute("data-push-lang");
        return post("/launches/" + slug + "/push", body);
      }).then(function () {
        following(true);
        say("on");
      });
    }).catch(function (error) {
      say(error && error.name === "NotAllowedError" ? "denied" : "failed");
    }).then(function () {
      button.disabled = false;
    });
  });
})();
