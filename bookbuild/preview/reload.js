// The preview's only script: reload when the book changes (server-sent events), keeping
// the reader's place, and ask the server for the EPUB and PDFs (button or the b key).
(function () {
  "use strict";
  var version = document.body.getAttribute("data-version");
  var key = "bookbuild-preview-place";

  // The reader's place: the last element with an id (a part, a section, a note) that
  // starts above the top of the window, and how far below its start the window is. An
  // edit above it moves it, and the reader with it.
  function currentPlace() {
    var marked = document.querySelectorAll("main [id]");
    var place = { id: "", offset: window.scrollY };
    for (var i = 0; i < marked.length; i++) {
      var top = marked[i].getBoundingClientRect().top;
      if (top > 1) break;
      place = { id: marked[i].id, offset: -top };
    }
    return place;
  }
  function goTo(place) {
    var element = place.id ? document.getElementById(place.id) : null;
    var y = element ? element.getBoundingClientRect().top + window.scrollY + place.offset : place.offset;
    window.scrollTo(0, y);
  }

  history.scrollRestoration = "manual";
  var saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    var place = JSON.parse(saved);
    goTo(place);
    // Again once the fonts and images are in, which move the text.
    window.addEventListener("load", function () {
      document.fonts.ready.then(function () {
        goTo(place);
        document.body.setAttribute("data-place-restored", "");
      });
    });
  }

  var events = new EventSource("/events");
  events.addEventListener("version", function (event) {
    if (event.data !== version) {
      sessionStorage.setItem(key, JSON.stringify(currentPlace()));
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
