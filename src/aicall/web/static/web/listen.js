/* "Nghe thử" (Listen): the campaign form as it stands, sample contact included, is sent to
   the server, which answers with the WAV the sample contact would hear; it plays here. */
(function () {
  "use strict";
  var box = document.getElementById("listen-box");
  if (!box || !window.FormData || !window.fetch) return;
  var form = document.getElementById("campaign-form");
  var button = document.getElementById("listen-button");
  var player = document.getElementById("listen-player");
  var status = document.getElementById("listen-status");
  var lastUrl = null;

  button.addEventListener("click", function () {
    var data = new FormData(form);  // includes the sample fields, the campaign id, the file
    button.disabled = true;
    status.textContent = box.dataset.busy;
    fetch(box.dataset.url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: {"X-Requested-With": "XMLHttpRequest"}
    }).then(function (response) {
      if (response.ok) return response.blob();
      return response.json().then(function (body) {
        throw new Error(body.message || box.dataset.error);
      }, function () { throw new Error(box.dataset.error); });
    }).then(function (blob) {
      if (lastUrl) URL.revokeObjectURL(lastUrl);
      lastUrl = URL.createObjectURL(blob);
      player.src = lastUrl;
      player.hidden = false;
      status.textContent = "";
      var playing = player.play();
      if (playing && playing.catch) playing.catch(function () { /* the controls remain */ });
    }).catch(function (error) {
      status.textContent = error.message;
    }).then(function () { button.disabled = false; });
  });
})();
