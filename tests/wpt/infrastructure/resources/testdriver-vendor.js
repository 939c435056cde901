/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

// servo-cos's testdriver-vendor.js. The headless shell reads one kind of
// automation request from the console: "servo-cos-testdriver: click X Y",
// which it answers with a real mouse click at X, Y (so the page gets user
// activation); and "servo-cos-testdriver: set_permission cross-origin-storage
// STATE", which sets how it answers Cross-Origin Storage consent prompts.
(function () {
  "use strict";
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
      console.log("servo-cos-testdriver: click " + x + " " + y);
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
      console.log("servo-cos-testdriver: set_permission cross-origin-storage " + state);
      // The shell reads console lines as they come; give it a moment before
      // the page's next lookup needs the answer.
      return new Promise(function (resolve) { setTimeout(resolve, 100); });
    },
  });
})();
