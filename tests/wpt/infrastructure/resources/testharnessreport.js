/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

// servo-cos's testharnessreport.js: when a test file completes, print one
// console line "WPT-RESULT <json>" (harness status and every subtest), which
// ./mach test-wpt reads from the headless shell's output, then close the
// window to end the run.
(function () {
  setup({ output: false, explicit_timeout: false });
  add_completion_callback(function (tests, status) {
    var result = {
      url: location.href,
      status: status.status,
      message: status.message || null,
      stack: status.stack || null,
      tests: tests.map(function (t) {
        return { name: t.name, status: t.status, message: t.message || null };
      }),
    };
    console.log("WPT-RESULT " + JSON.stringify(result));
    // Let the console line reach the embedder before the window goes.
    setTimeout(function () { window.close(); }, 0);
  });
})();
