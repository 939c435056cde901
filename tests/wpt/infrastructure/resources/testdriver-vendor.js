/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

// servo-cos's testdriver-vendor.js. The headless shell reads one kind of
// automation request from the console: "servo-cos-testdriver: click X Y",
// which it answers with a real mouse click at X, Y (so the page gets user
// activation). Permissions cannot be set from a page yet: the shell's
// --cos-consent policy decides consent for a whole run.
(function () {
  "use strict";
  window.test_driver_internal = {
    click: function (element) {
      var rect = element.getBoundingClientRect();
      var x = rect.left + rect.width / 2;
      var y = rect.top + rect.height / 2;
      var clicked = new Promise(function (resolve) {
        element.addEventListener("click", function () { resolve(); }, { once: true });
      });
      console.log("servo-cos-testdriver: click " + x + " " + y);
      return clicked;
    },
    set_permission: function () {
      return Promise.reject(new Error(
          "servo-cos does not support test_driver.set_permission yet; run with --cos-consent"));
    },
  };
})();
