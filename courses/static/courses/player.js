/* Course player: active-time heartbeats (only while the page is visible), video coverage
 * reports, and no skipping ahead where the editor forbids it. The server bounds everything
 * this script claims by wall-clock time, so it is a convenience, not the evidence itself. */
(function () {
  "use strict";
  var root = document.querySelector("[data-player]");
  if (!root || !window.fetch) return;
  var csrf = root.getAttribute("data-csrf");
  var interval = Math.max(5, parseInt(root.getAttribute("data-interval"), 10) || 15);
  var maxRate = parseFloat(root.getAttribute("data-max-rate")) || 2;
  var visibleSeconds = 0;

  function post(url, body, keepalive) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; });
  }

  function showState(data) {
    if (!data) return;
    var left = document.querySelector("[data-reading-left]");
    if (left && typeof data.reading_left === "number") {
      left.textContent = data.reading_left > 0 ? data.reading_left + " 秒" : "✔";
    }
    if (data.completed && !root.hasAttribute("data-completed")) {
      root.setAttribute("data-completed", "");
      var box = document.getElementById("complete");
      if (box) {
        var note = document.createElement("p");
        note.className = "status-done";
        note.setAttribute("role", "status");
        note.setAttribute("data-testid", "lesson-complete-live");
        note.textContent = "このレッスンを完了しました。";
        box.insertBefore(note, box.children[1] || null);
      }
    }
  }

  function heartbeat(keepalive) {
    if (visibleSeconds <= 0) return;
    var seconds = visibleSeconds;
    visibleSeconds = 0;
    post(root.getAttribute("data-heartbeat-url"), { seconds: seconds }, keepalive)
      .then(showState).catch(function () { visibleSeconds += seconds; });
  }

  setInterval(function () {
    if (document.visibilityState === "visible") visibleSeconds += 1;
  }, 1000);
  setInterval(function () { if (document.visibilityState === "visible") heartbeat(false); },
    interval * 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { heartbeat(true); flushAll(true); }
  });

  var trackers = [];
  function flushAll(keepalive) { trackers.forEach(function (t) { t.flush(keepalive); }); }

  Array.prototype.forEach.call(document.querySelectorAll("video[data-player-video]"), function (video) {
    var block = video.getAttribute("data-block");
    var allowSeeking = video.getAttribute("data-allow-seeking") === "true";
    var furthest = parseFloat(video.getAttribute("data-furthest")) || 0;
    var status = document.querySelector('[data-video-status="' + block + '"]');
    var pending = [];
    var last = null;
    var sending = false;

    function note(text) { if (status) status.textContent = text; }

    video.addEventListener("ratechange", function () {
      if (video.playbackRate > maxRate) video.playbackRate = maxRate;
    });
    video.addEventListener("playing", function () { last = video.currentTime; });
    video.addEventListener("seeking", function () {
      if (!allowSeeking && video.currentTime > furthest + 1) {
        video.currentTime = furthest;
        note(root.getAttribute("data-msg-no-seek"));
      }
      last = null;
    });
    video.addEventListener("seeked", function () { last = video.currentTime; });
    video.addEventListener("timeupdate", function () {
      var now = video.currentTime;
      if (video.paused || video.seeking) { last = now; return; }
      if (last !== null && now > last && now - last < 1.5 * Math.max(1, video.playbackRate)) {
        pending.push([last, now]);
        if (last <= furthest + 0.5 && now > furthest) furthest = now;
      }
      last = now;
    });
    function flush(keepalive) {
      if (!pending.length || sending) return;
      var played = pending;
      pending = [];
      sending = true;
      post(root.getAttribute("data-video-url"),
        { block: block, played: played, duration: video.duration || 0 }, keepalive)
        .then(function (data) {
          sending = false;
          if (!data) return;
          furthest = Math.max(furthest, data.furthest || 0);
          var msg = data.watched ? root.getAttribute("data-msg-watched")
            : root.getAttribute("data-msg-watched-prefix") + " " + data.percent + "%";
          note(msg);
          video.setAttribute("data-percent", data.percent);
          if (data.watched) video.setAttribute("data-watched", "");
          showState(data);
        })
        .catch(function () { sending = false; pending = played.concat(pending); });
    }
    video.addEventListener("pause", function () { flush(false); });
    video.addEventListener("ended", function () {
      if (last !== null && video.duration && last < video.duration) pending.push([last, video.duration]);
      flush(false);
    });
    setInterval(function () { flush(false); }, 5000);
    trackers.push({ flush: flush });
  });
})();
