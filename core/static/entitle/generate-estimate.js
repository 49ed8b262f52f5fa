/* The admin's generate form: how long the count typed will take, before it is submitted.
   The rate is the server's own (data-seconds-per-code on the count field, measured from its
   latest generations); beyond data-sync-limit (what one request makes) a job makes them. */
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var count = document.getElementById("id_count");
  if (!count || !count.dataset.secondsPerCode) { return; }
  var perCode = parseFloat(count.dataset.secondsPerCode);
  var limit = parseInt(count.dataset.syncLimit, 10);
  var line = document.createElement("p");
  line.id = "count-estimate";
  line.className = "help";
  line.setAttribute("aria-live", "polite");
  count.closest(".form-row").appendChild(line);

  function inWords(seconds) {
    if (seconds < 0.5) { return "under a second"; }
    if (seconds < 90) { return "about " + Math.max(1, Math.round(seconds)) + " s"; }
    return "about " + Math.round(seconds / 60) + " min";
  }

  function update() {
    var n = parseInt(count.value, 10);
    if (!n || n < 1) { line.textContent = ""; return; }
    var estimate = inWords(n * perCode);
    if (n > limit) {
      line.textContent = "Estimate: " + n.toLocaleString("en") + " codes take " + estimate +
        " — more than one request makes (" + limit.toLocaleString("en") +
        "), so a job on the workers makes them and the form lands on its progress page.";
    } else {
      line.textContent = "Estimate: " + n.toLocaleString("en") + " codes take " + estimate +
        " on this server.";
    }
  }
  count.addEventListener("input", update);
  update();
});
