// The preview's only script: reload when the book changes (server-sent events), keeping
// the reader's place, and ask the server for the EPUB and PDFs (button or the b key).
(function () {
  "use strict";
  var version = document.body.getAttribute("data-version");
  var place = "bookbuild-preview-scroll";
  history.scrollRestoration = "manual";
  var saved = sessionStorage.getItem(place);
  if (saved !== null) {
    sessionStorage.removeItem(place);
    window.scrollTo(0, parseFloat(saved));
  }
  var events = new EventSource("/events");
  events.addEventListener("version", function (event) {
    if (event.data !== version) {
      sessionStorage.setItem(place, String(window.scrollY));
      events.close();
      location.reload();
    }
  });
  var button = document.getElementById("preview-build");
  function build() {
    if (button.disabled) return;
    button.disabled = true;
    button.textContent = "Building\u2026";
    fetch("/build", { method: "POST" }).catch(function () { button.disabled = false; });
  }
  button.addEventListener("click", build);
  document.addEventListener("keydown", function (event) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
    if (event.key === "b" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) build();
  });
})();
