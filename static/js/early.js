// Loaded in the head without defer, before the first paint: marks a page whose scripts run, so
// that only then may CSS fold the menu on a phone (app.js opens it). A file rather than an inline
// script, which the Content-Security-Policy forbids.
document.documentElement.classList.add("js");
