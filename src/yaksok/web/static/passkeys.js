// Passkeys in the console (WebAuthn is a browser API, so this needs JavaScript; the password form
// does not). The forms stay hidden unless the browser offers WebAuthn. Each ceremony asks the
// server for options (its challenge kept in the session), lets the browser make or use the
// credential, and posts the answer back as JSON in a form field beside the CSRF token.
(function () {
  "use strict";

  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function toText(buffer) {
    let binary = "";
    new Uint8Array(buffer).forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, fields) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
    });
  }

  function ids(list) {
    return (list || []).map((d) => Object.assign({}, d, { id: toBytes(d.id) }));
  }

  function answer(credential) {
    const r = credential.response;
    const response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = r.userHandle ? toText(r.userHandle) : null;
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
    });
  }

  async function ceremony(form, optionsUrl, make) {
    const status = form.querySelector(".passkey-status");
    const csrf = form.querySelector("[name=csrf]").value;
    status.textContent = "";
    try {
      const asked = await post(optionsUrl, { csrf: csrf });
      if (!asked.ok) throw new Error("options: " + asked.status);
      const credential = await make(await asked.json());
      const done = await post(form.action, { csrf: csrf, credential: answer(credential) });
      if (!done.ok) throw new Error("answer: " + done.status);
      window.location.assign((await done.json()).location);
    } catch (error) {
      status.textContent = form.dataset.failed;
    }
  }

  function register(options) {
    const publicKey = Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      user: Object.assign({}, options.user, { id: toBytes(options.user.id) }),
      excludeCredentials: ids(options.excludeCredentials),
    });
    return navigator.credentials.create({ publicKey: publicKey });
  }

  function signIn(options) {
    const publicKey = Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      allowCredentials: ids(options.allowCredentials),
    });
    return navigator.credentials.get({ publicKey: publicKey });
  }

  function offer(id, optionsUrl, make) {
    const form = document.getElementById(id);
    if (!form || !window.PublicKeyCredential) return;
    form.hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      ceremony(form, optionsUrl, make);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    offer("passkey-register", "/console/passkeys/options", register);
    offer("passkey-sign-in", "/console/sign-in/passkey/options", signIn);
  });
})();
