/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

// servo-cos's testdriver-vendor.js. The headless shell does not take
// automation commands yet, so actions reject, naming what is missing; tests
// that need them carry an expectation saying so (tests/wpt/meta).
(function () {
  "use strict";
  function unsupported(what) {
    return Promise.reject(new Error("servo-cos does not support test_driver." + what + " yet"));
  }
  window.test_driver_internal = {
    click: function () { return unsupported("click"); },
    set_permission: function () { return unsupported("set_permission"); },
  };
})();
