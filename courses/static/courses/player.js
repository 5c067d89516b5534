/* Course player: study-time heartbeats, video coverage reports, no skipping ahead where the
 * editor forbids it, and the lesson's checklist kept up to date while the member studies.
 *
 * Time is measured only while the page is on screen: a heartbeat every data-interval seconds
 * (60) while visible, and one more when the page is hidden or left (navigator.sendBeacon), so
 * no visible second is lost between two. The server credits it on the member's one study
 * clock and bounds every claim by the wall clock, so this script is a convenience, not the
 * evidence itself. */
(function () {
  "use strict";
  var root = document.querySelector("[data-player]");
  if (!root || !window.fetch) return;
  var csrf = root.getAttribute("data-csrf");
  var heartbeatUrl = root.getAttribute("data-heartbeat-url");
  var interval = Math.max(5, parseInt(root.getAttribute("data-interval"), 10) || 60);
  var maxRate = parseFloat(root.getAttribute("data-max-rate")) || 2;

  function msg(name) { return root.getAttribute("data-msg-" + name) || ""; }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var fmt = h ? "hm" : (m && s ? "ms" : (m ? "m" : "s"));
    return (root.getAttribute("data-fmt-" + fmt) || "{m}:{s}")
      .replace("{h}", h).replace("{m}", m).replace("{s}", s);
  }

  // --- visible time --------------------------------------------------------------------------
  var banked = 0;          // visible milliseconds not yet sent
  var visibleSince = document.visibilityState === "visible" ? performance.now() : null;

  function takeVisibleSeconds() {
    var now = performance.now();
    if (visibleSince !== null) { banked += now - visibleSince; visibleSince = now; }
    var seconds = banked / 1000;
    banked = 0;
    return seconds;
  }

  function post(url, body, keepalive) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; });
  }

  function heartbeat() {
    var seconds = takeVisibleSeconds();
    if (seconds <= 0) return;
    post(heartbeatUrl, { seconds: seconds }, false)
      .then(showState)
      .catch(function () { banked += seconds * 1000; });
  }

  function heartbeatOnLeaving() {
    // the page may be gone before a fetch answers: a beacon is delivered anyway. It cannot
    // carry headers, so the CSRF token travels as a form field.
    var seconds = takeVisibleSeconds();
    if (seconds <= 0) return;
    var body = new URLSearchParams({ seconds: String(seconds), csrfmiddlewaretoken: csrf });
    if (!(navigator.sendBeacon && navigator.sendBeacon(heartbeatUrl, body))) {
      fetch(heartbeatUrl, { method: "POST", credentials: "same-origin", keepalive: true, body: body });
    }
  }

  setInterval(function () { if (document.visibilityState === "visible") heartbeat(); },
    interval * 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      heartbeatOnLeaving();
      visibleSince = null;
      flushAll(true);
    } else {
      visibleSince = performance.now();
    }
  });
  window.addEventListener("pagehide", function () { heartbeatOnLeaving(); flushAll(true); });
  window.addEventListener("pageshow", function (event) {
    // back from the browser's cache: the page is on screen again
    if (event.persisted && document.visibilityState === "visible") visibleSince = performance.now();
  });

  // --- the checklist, live -------------------------------------------------------------------
  var readingLeft = document.querySelector("[data-reading-left]");
  var secondsLeft = readingLeft ? parseInt(readingLeft.getAttribute("data-reading-left"), 10) || 0 : 0;
  var syncedAt = performance.now();
  var courseTime = document.querySelector("[data-course-time]");

  function markItem(name, done, text) {
    var item = document.querySelector('[data-checklist] [data-item="' + name + '"]');
    if (!item) return;
    if (done) item.setAttribute("data-done", ""); else item.removeAttribute("data-done");
    var state = item.querySelector("[data-item-state]");
    if (state && text) state.textContent = text;
  }

  function showReadingLeft() {
    if (!readingLeft) return;
    var left = secondsLeft;
    if (left > 0 && document.visibilityState === "visible") {
      left -= (performance.now() - syncedAt) / 1000;  // counts down between two heartbeats
    }
    if (left > 0.5) {
      readingLeft.textContent = msg("left").replace("{time}", duration(left));
    } else {
      readingLeft.textContent = msg("done");
      markItem("reading", true);
    }
  }
  setInterval(showReadingLeft, 1000);

  function note(box, testid, text) {
    if (!box || box.querySelector('[data-testid="' + testid + '"]')) return;
    var p = document.createElement("p");
    p.className = "status-done";
    p.setAttribute("role", "status");
    p.setAttribute("data-testid", testid);
    p.textContent = text;
    box.insertBefore(p, box.children[1] || null);
  }

  function showState(data) {
    if (!data) return;
    if (typeof data.reading_left === "number") {
      secondsLeft = data.reading_left;
      syncedAt = performance.now();
      showReadingLeft();
    }
    if (data.missing) {
      markItem("video", data.missing.indexOf("video") < 0, data.missing.indexOf("video") < 0 ? msg("done") : null);
      markItem("quiz", data.missing.indexOf("quiz") < 0, data.missing.indexOf("quiz") < 0 ? msg("passed") : null);
    }
    if (courseTime && typeof data.course_credited_seconds === "number" && data.course_seconds) {
      courseTime.setAttribute("data-course-left", String(data.course_left));
      var credited = courseTime.querySelector("[data-course-credited]");
      if (credited) credited.textContent = duration(data.course_credited_seconds);
    }
    var box = document.getElementById("complete");
    if (data.completed && !root.hasAttribute("data-completed")) {
      root.setAttribute("data-completed", "");
      note(box, "lesson-complete-live", msg("lesson-complete"));
    }
    if (data.course_completed) note(box, "course-complete-live", msg("course-complete"));
  }

  // --- videos --------------------------------------------------------------------------------
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

    function say(text) { if (status) status.textContent = text; }

    video.addEventListener("ratechange", function () {
      if (video.playbackRate > maxRate) video.playbackRate = maxRate;
    });
    video.addEventListener("playing", function () { last = video.currentTime; });
    video.addEventListener("seeking", function () {
      if (!allowSeeking && video.currentTime > furthest + 1) {
        video.currentTime = furthest;
        say(root.getAttribute("data-msg-no-seek"));
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
      // the video's length is known to the server: only the seconds seen are sent
      post(root.getAttribute("data-video-url"), { block: block, played: played }, keepalive)
        .then(function (data) {
          sending = false;
          if (!data) return;
          furthest = Math.max(furthest, data.furthest || 0);
          say(data.watched ? root.getAttribute("data-msg-watched")
            : root.getAttribute("data-msg-watched-prefix") + " " + data.percent + "%");
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
