// Passkeys on Reverify's hosted pages (issue 18). The only script the pages load, under CSP
// `script-src 'self'`; nothing inline. A form marked `data-passkey="create"` or `"get"` carries the
// WebAuthn options as JSON (WebAuthn L3 5.1.8 / 5.1.9 JSON forms) in `data-passkey-options`. On submit the
// script runs the ceremony, puts the credential's JSON (L3 5.1.10 `toJSON()`) into the form's `credential`
// field and submits the form normally, so the server answers as it does for every other method. Without
// this script (or WebAuthn) the passkey parts stay hidden and every other method works as before.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: toBytes(d.id), transports: d.transports };
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBytes(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function serialise(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    var r = credential.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = toText(r.userHandle);
    }
    return {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(), response: response
    };
  }

  document.querySelectorAll("[data-passkey-section]").forEach(function (section) { section.hidden = false; });

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var status = form.querySelector("[data-passkey-status]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var json = JSON.parse(form.getAttribute("data-passkey-options"));
      var ceremony = form.getAttribute("data-passkey") === "create"
        ? navigator.credentials.create({ publicKey: creationOptions(json) })
        : navigator.credentials.get({ publicKey: requestOptions(json) });
      if (status) status.textContent = "Waiting for your passkey…";
      ceremony.then(function (credential) {
        form.elements.credential.value = JSON.stringify(serialise(credential));
        form.submit();
      }).catch(function (error) {
        if (status) status.textContent = "The passkey was not used (" + error.name + "). Try again, or choose another way.";
      });
    });
  });
})();
