/* The SCORM 1.2 runtime on the content origin (courses/scorm/content.py).
 *
 * window.API is scorm-again's Scorm12API (vendored, see courses/static/courses/vendor/): the
 * content in the frame below finds it in its parent, the usual API discovery, and every call
 * is answered at once with SCORM's error codes. Commits go to this origin's commit URL (no
 * cookies: the signed launch in the URL is the credential); the lesson page that framed us
 * is told what happened with postMessage, addressed to its origin only. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("scorm-config").textContent);

  function tell(message) {
    if (window.parent === window) return;
    message.source = "lms-scorm";
    message.item = config.item;
    window.parent.postMessage(message, config.siteOrigin);
  }

  function afterCommit(xhr) {
    var body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    if (xhr.status >= 200 && xhr.status < 300 && body && body.result !== undefined) {
      tell({
        event: "commit",
        status: body.lessonStatus || "",
        scoComplete: !!body.scoComplete,
        lessonComplete: !!body.lessonComplete
      });
      return { result: body.result, errorCode: typeof body.errorCode === "number" ? body.errorCode : 0 };
    }
    tell({ event: "commit-failed", httpStatus: xhr.status });
    return { result: "false", errorCode: 101 };
  }

  if (config.type === "asset") {
    // an asset has no API to talk to: it is complete once launched (done on the server)
    tell({ event: "commit", status: "completed", scoComplete: true, lessonComplete: false });
  }

  var api = new window.Scorm12API({
    lmsCommitUrl: config.commitUrl,
    dataCommitFormat: "json",
    autocommit: true,
    autocommitSeconds: 10,
    logLevel: 4,
    xhrResponseHandler: afterCommit
  });
  api.loadFromJSON(config.cmi);

  // SCORM 1.2 allows 4,096 characters of suspend_data (RTE 3.4.2.4, CMIString4096);
  // scorm-again accepts more, the server keeps only what the site allows.
  var setValue = api.LMSSetValue.bind(api);
  api.LMSSetValue = function (element, value) {
    if (element === "cmi.suspend_data" && api.isInitialized() &&
        String(value).length > config.suspendDataLimit) {
      api.throwSCORMError(element, 405, "cmi.suspend_data is limited to " +
        config.suspendDataLimit + " characters");
      return "false";
    }
    return setValue(element, value);
  };

  api.on("LMSInitialize", function () { tell({ event: "initialize" }); });
  api.on("LMSFinish", function () { tell({ event: "finish" }); });
  window.API = api;

  // The content's data is sent even when it never calls LMSFinish (the member switches to
  // another part or leaves the page): a beacon survives the page going away.
  window.addEventListener("pagehide", function () {
    if (config.type === "asset" || !api.isInitialized() || api.isTerminated()) return;
    var body = JSON.stringify(api.renderCommitCMI(true));
    if (navigator.sendBeacon) {
      navigator.sendBeacon(config.commitUrl, new Blob([body], { type: "text/plain;charset=UTF-8" }));
    }
  });

  function launch() {
    document.getElementById("scorm-content").src = config.launchUrl;
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", launch);
  } else {
    launch();
  }
})();
