// The service worker for browser push (served at /sw.js, so its scope is the whole site).
// Each push message is the JSON yaksok sends (channels/webpush.py): it is shown as a notification,
// and a click opens the notice it is about. A newer message with the same tag (one milestone)
// replaces the older notification.
"use strict";

self.addEventListener("push", function (event) {
  var message = {};
  if (event.data) {
    try {
      message = event.data.json();
    } catch (error) {
      message = { title: event.data.text() };
    }
  }
  var options = {
    body: message.body || "",
    data: { url: message.url || "/" },
    icon: "/static/favicon.svg"
  };
  if (message.tag) {
    options.tag = message.tag;
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(message.title || "yaksok", options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === url && "focus" in windows[i]) return windows[i].focus();
      }
      return self.clients.openWindow(url);
    })
  );
});
