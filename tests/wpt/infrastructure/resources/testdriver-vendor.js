/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

// servo-cos's testdriver-vendor.js. The headless shell started with
// `--test-driver TOKEN` reads automation requests from the console:
// "servo-cos-testdriver TOKEN: click X Y", which it answers with a real mouse
// click at X, Y (so the page gets user activation), and
// "servo-cos-testdriver TOKEN: set_permission cross-origin-storage STATE",
// which sets how it answers Cross-Origin Storage consent prompts. TOKEN is
// the run's secret: `./mach test-wpt` serves this file with it in place of
// the placeholder below, so only pages the runner serves can drive the shell.
(function () {
  "use strict";
  var PREFIX = "servo-cos-testdriver @TEST_DRIVER_TOKEN@: ";
  // Added to the object testdriver.js made, as WPT's vendor files do: an
  // upstream testdriver.js keeps its defaults for what we do not drive.
  var internal = window.test_driver_internal || (window.test_driver_internal = {});
  Object.assign(internal, {
    in_automation: true,
    // `coords` is the in-view centre testdriver.js computed (WPT's passes it
    // too); clicking there reaches the element unless something covers it.
    click: function (element, coords) {
      var rect = element.getBoundingClientRect();
      var x = coords ? coords.x : rect.left + rect.width / 2;
      var y = coords ? coords.y : rect.top + rect.height / 2;
      var clicked = new Promise(function (resolve) {
        element.addEventListener("click", function () { resolve(); }, { once: true });
      });
      console.log(PREFIX + "click " + x + " " + y);
      return clicked;
    },
    // Only the Cross-Origin Storage consent is a permission here: "granted"
    // or "denied" answers every later prompt of the run, "prompt" leaves
    // prompts unanswered (denied, headless).
    set_permission: function (params, context) {
      var descriptor = params && params.descriptor;
      var state = params && params.state;
      if (!descriptor || descriptor.name !== "cross-origin-storage") {
        return Promise.reject(new Error(
            "servo-cos's test_driver.set_permission knows only 'cross-origin-storage'"));
      }
      console.log(PREFIX + "set_permission cross-origin-storage " + state);
      // The shell reads console lines as they come; give it a moment before
      // the page's next lookup needs the answer.
      return new Promise(function (resolve) { setTimeout(resolve, 100); });
    },
  });
})();
