/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

// servo-cos's testdriver.js: WPT's `test_driver` API, delegating to
// `window.test_driver_internal`, which testdriver-vendor.js provides.
(function () {
  "use strict";
  window.test_driver = {
    /** Clicks `element` with a real (trusted) click. */
    click: function (element) {
      element.scrollIntoView({ behavior: "instant", block: "center", inline: "center" });
      var rect = element.getBoundingClientRect();
      return window.test_driver_internal.click(
          element, { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 });
    },
    /** Gives the page user activation (a real click on a new button), then runs `action`. */
    bless: function (intent, action) {
      var button = document.createElement("button");
      button.textContent = "Bless: " + (intent || "user activation");
      document.body.appendChild(button);
      var clicked = new Promise(function (resolve) {
        button.addEventListener("click", function () {
          var result = action ? action() : undefined;
          button.remove();
          resolve(result);
        }, { once: true });
      });
      return test_driver.click(button).then(function () { return clicked; });
    },
    /** Sets a permission, as a user answering a prompt would. */
    set_permission: function (descriptor, state, context) {
      // The same call WPT's own testdriver.js makes, so that
      // testdriver-vendor.js serves an upstream checkout unchanged.
      return window.test_driver_internal.set_permission({ descriptor: descriptor, state: state },
                                                        context);
    },
  };
})();
