/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

// servo-cos's get-host-info: the origins ./mach test-wpt serves, in the shape
// WPT's common/get-host-info.sub.js gives them to tests.
function get_host_info() {
  var HTTP_PORT = '{{ports[http][0]}}';
  var HTTP_PORT2 = '{{ports[http][1]}}';
  var HTTPS_PORT = '{{ports[https][0]}}';
  var HTTPS_PORT2 = '{{ports[https][1]}}';
  var ORIGINAL_HOST = '{{host}}';
  var REMOTE_HOST = '{{domains[www1]}}';
  var OTHER_HOST = '{{domains[www2]}}';
  var NOTSAMESITE_HOST = '{{hosts[alt][]}}';
  return {
    HTTP_PORT: HTTP_PORT,
    HTTP_PORT2: HTTP_PORT2,
    HTTPS_PORT: HTTPS_PORT,
    HTTPS_PORT2: HTTPS_PORT2,
    ORIGINAL_HOST: ORIGINAL_HOST,
    REMOTE_HOST: REMOTE_HOST,
    ORIGIN: location.protocol + '//' + ORIGINAL_HOST + ':' + (location.protocol === 'https:' ? HTTPS_PORT : HTTP_PORT),
    HTTP_ORIGIN: 'http://' + ORIGINAL_HOST + ':' + HTTP_PORT,
    HTTPS_ORIGIN: 'https://' + ORIGINAL_HOST + ':' + HTTPS_PORT,
    HTTPS_ORIGIN_WITH_CREDS: 'https://foo:bar@' + ORIGINAL_HOST + ':' + HTTPS_PORT,
    HTTP_ORIGIN_WITH_DIFFERENT_PORT: 'http://' + ORIGINAL_HOST + ':' + HTTP_PORT2,
    HTTPS_ORIGIN_WITH_DIFFERENT_PORT: 'https://' + ORIGINAL_HOST + ':' + HTTPS_PORT2,
    HTTP_REMOTE_ORIGIN: 'http://' + REMOTE_HOST + ':' + HTTP_PORT,
    HTTPS_REMOTE_ORIGIN: 'https://' + REMOTE_HOST + ':' + HTTPS_PORT,
    HTTP_NOTSAMESITE_ORIGIN: 'http://' + NOTSAMESITE_HOST + ':' + HTTP_PORT,
    HTTPS_NOTSAMESITE_ORIGIN: 'https://' + NOTSAMESITE_HOST + ':' + HTTPS_PORT,
    OTHER_ORIGIN: location.protocol + '//' + OTHER_HOST + ':' + (location.protocol === 'https:' ? HTTPS_PORT : HTTP_PORT),
    HTTPS_REMOTE_ORIGIN_WITH_DIFFERENT_PORT: 'https://' + REMOTE_HOST + ':' + HTTPS_PORT2,
    HTTP_REMOTE_ORIGIN_WITH_DIFFERENT_PORT: 'http://' + REMOTE_HOST + ':' + HTTP_PORT2,
  };
}

function get_port(loc) {
  if (loc.port) {
    return loc.port;
  }
  return loc.protocol === 'https:' ? '443' : '80';
}
