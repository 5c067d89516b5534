/* A small SCORM 1.2 wrapper for this demonstration package (written for the project).
 * It finds the LMS's API the way SCORM 1.2 content does: window.API in this window or one
 * of its parents, then in the opener's. */
var SCORM = (function () {
  "use strict";
  var api = null;
  var startedAt = 0;
  var finished = false;

  function search(win) {
    var hops = 0;
    while (win && win.API == null && win.parent && win.parent !== win && hops < 10) {
      hops += 1;
      win = win.parent;
    }
    return win && win.API ? win.API : null;
  }

  function pad(number, width) {
    var text = String(number);
    while (text.length < width) text = "0" + text;
    return text;
  }

  function timespan(ms) {
    var centiseconds = Math.floor(ms / 10);
    var hours = Math.floor(centiseconds / 360000);
    var minutes = Math.floor((centiseconds % 360000) / 6000);
    var seconds = Math.floor((centiseconds % 6000) / 100);
    return pad(hours, 4) + ":" + pad(minutes, 2) + ":" + pad(seconds, 2) + "." + pad(centiseconds % 100, 2);
  }

  return {
    start: function () {
      api = search(window) || (window.opener ? search(window.opener) : null);
      if (!api) return false;
      startedAt = Date.now();
      return api.LMSInitialize("") === "true";
    },
    connected: function () { return api !== null; },
    get: function (element) { return api ? api.LMSGetValue(element) : ""; },
    set: function (element, value) { return api ? api.LMSSetValue(element, String(value)) === "true" : false; },
    commit: function () { return api ? api.LMSCommit("") === "true" : false; },
    lastError: function () { return api ? api.LMSGetLastError() : "0"; },
    finish: function (exit) {
      if (!api || finished) return;
      finished = true;
      api.LMSSetValue("cmi.core.exit", exit);
      api.LMSSetValue("cmi.core.session_time", timespan(Date.now() - startedAt));
      api.LMSFinish("");
    }
  };
})();
