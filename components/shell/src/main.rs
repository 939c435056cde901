/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! `servo-cos`: a small browser shell around the patched libservo, with
//! Cross-Origin Storage turned on. A window where a display exists, or
//! headless (software rendering) for automation.

mod consent;
mod delegate;
mod gui;
mod headless;
mod keys;
mod management;
mod window;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use servo::protocol_handler::ProtocolRegistry;
use servo::{EventLoopWaker, Opts, Preferences, Servo, ServoBuilder};
use url::Url;

const USAGE: &str = "\
usage: servo-cos [OPTIONS] URL

  --headless              no window: render in software, print the console
  --window-size WxH       the window's size in logical pixels (default 1100x800)
  --profile DIR           keep cookies, storage and Cross-Origin Storage in DIR
                          (default: a temporary profile, gone at exit)
  --cos-consent POLICY    disclosing a file one site stored to another site:
                          ask (default), allow or deny
  --exit-after-load       end once the page has loaded (headless)
  --timeout SECONDS       end with status 2 if the page has not closed by then
                          (headless; default 60)
  --screenshot FILE.png   save what the page shows when the run ends (headless;
                          not possible once the page called window.close())
  --host-file FILE        resolve host names with FILE (hosts(5) format)
  --ignore-certificate-errors
                          accept self-signed certificates (test servers)
  --pref NAME=VALUE       set a Servo preference (true/false, a number, or text)
  --test-driver TOKEN     automation (headless): obey the WPT test-driver console
                          lines that carry TOKEN (at least 16 characters; the
                          runner serves it to the pages under test). Without
                          this option no page can click, grant or deny
";

/// A test-driver token shorter than this could be guessed by a page.
const MIN_TOKEN_LEN: usize = 16;

pub struct Args {
    pub url: Url,
    pub headless: bool,
    pub window_size: (u32, u32),
    pub profile: Option<PathBuf>,
    pub consent: String,
    pub exit_after_load: bool,
    pub timeout: Duration,
    pub screenshot: Option<PathBuf>,
    pub host_file: Option<PathBuf>,
    pub ignore_certificate_errors: bool,
    pub prefs: Vec<(String, String)>,
    /// The secret a page under test must put in a test-driver console line
    /// (see `delegate::TestDriver`); `None` outside automation.
    pub test_driver: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        url: Url::parse("about:blank").expect("a valid URL"),
        headless: false,
        window_size: (1100, 800),
        profile: None,
        consent: "ask".into(),
        exit_after_load: false,
        timeout: Duration::from_secs(60),
        screenshot: None,
        host_file: None,
        ignore_certificate_errors: false,
        prefs: Vec::new(),
        test_driver: None,
    };
    let mut url = None;
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--headless" => parsed.headless = true,
            "--window-size" => {
                let size = value("--window-size")?;
                parsed.window_size = size
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    .filter(|&(w, h)| w >= 200 && h >= 150)
                    .ok_or_else(|| {
                        format!("--window-size takes WIDTHxHEIGHT (at least 200x150), not '{size}'")
                    })?;
            },
            "--profile" => parsed.profile = Some(value("--profile")?.into()),
            "--cos-consent" => {
                let policy = value("--cos-consent")?;
                if !["ask", "allow", "deny"].contains(&policy.as_str()) {
                    return Err(format!(
                        "--cos-consent is ask, allow or deny, not '{policy}'"
                    ));
                }
                parsed.consent = policy;
            },
            "--exit-after-load" => parsed.exit_after_load = true,
            "--timeout" => {
                let seconds: f64 = value("--timeout")?
                    .parse()
                    .map_err(|_| "--timeout takes a number of seconds".to_owned())?;
                parsed.timeout = Duration::from_secs_f64(seconds);
            },
            "--screenshot" => parsed.screenshot = Some(value("--screenshot")?.into()),
            "--host-file" => parsed.host_file = Some(value("--host-file")?.into()),
            "--ignore-certificate-errors" => parsed.ignore_certificate_errors = true,
            "--pref" => {
                let pref = value("--pref")?;
                let (name, v) = pref
                    .split_once('=')
                    .ok_or_else(|| format!("--pref takes NAME=VALUE, not '{pref}'"))?;
                parsed.prefs.push((name.to_owned(), v.to_owned()));
            },
            "--test-driver" => {
                let token = value("--test-driver")?;
                if token.len() < MIN_TOKEN_LEN || token.contains(char::is_whitespace) {
                    return Err(format!(
                        "--test-driver takes a token of at least {MIN_TOKEN_LEN} characters \
                         without spaces"
                    ));
                }
                parsed.test_driver = Some(token);
            },
            "-h" | "--help" => return Err(String::new()),
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ if url.is_none() => url = Some(arg),
            _ => return Err(format!("one URL only ('{arg}')")),
        }
    }
    if let Some(url) = url {
        parsed.url = Url::parse(&url)
            .or_else(|_| Url::from_file_path(std::path::absolute(&url).unwrap_or_default()))
            .map_err(|_| format!("'{url}' is neither a URL nor a file"))?;
    }
    Ok(parsed)
}

fn opts(args: &Args) -> Opts {
    let mut opts = Opts::default();
    opts.config_dir = args.profile.clone();
    // Without a profile nothing is kept, Cross-Origin Storage included.
    opts.temporary_storage = args.profile.is_none();
    opts.host_file = args.host_file.clone();
    opts.ignore_certificate_errors = args.ignore_certificate_errors;
    opts
}

fn preferences(args: &Args) -> Result<Preferences, String> {
    let mut prefs = Preferences::default();
    // Test servers and demos are on loopback: never send them to a proxy.
    prefs.network_http_proxy_uri = String::new();
    prefs.network_https_proxy_uri = String::new();
    prefs.dom_cross_origin_storage_enabled = true;
    prefs.dom_cross_origin_storage_consent = args.consent.clone();
    for (name, value) in &args.prefs {
        if !Preferences::exists(name) {
            return Err(format!("--pref: there is no preference named '{name}'"));
        }
        // set_value panics on a value of the wrong type; check it first.
        let value = servo::PrefValue::from_booleanish_str(value);
        if std::mem::discriminant(&prefs.get_value(name)) != std::mem::discriminant(&value) {
            return Err(format!(
                "--pref {name}: expected a {}, got {value:?}",
                Preferences::type_of(name)
            ));
        }
        prefs.set_value(name, value);
    }
    Ok(prefs)
}

/// Starts Servo, in a window or headless: with this shell's `servo:` page
/// (`management`), connected to the store once Servo has opened it.
pub fn start_servo(
    opts: Opts,
    prefs: Preferences,
    waker: Box<dyn EventLoopWaker>,
) -> (Servo, management::Management) {
    let management = management::Management::default();
    let mut protocols = ProtocolRegistry::default();
    protocols
        .register(management::SCHEME, management::Handler(management.clone()))
        .expect("servo: is free for the embedder");
    let servo = ServoBuilder::default()
        .opts(opts)
        .preferences(prefs)
        .protocol_registry(protocols)
        .event_loop_waker(waker)
        .build();
    servo.setup_logging();
    management.connect(servo.cross_origin_storage());
    (servo, management)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("servo-cos: {message}");
            }
            eprint!("{USAGE}");
            return ExitCode::from(if message.is_empty() { 0 } else { 64 });
        },
    };
    rustls::crypto::aws_lc_rs::default_provider()
        .install_default()
        .expect("installing the TLS crypto provider once");
    let prefs = match preferences(&args) {
        Ok(prefs) => prefs,
        Err(message) => {
            eprintln!("servo-cos: {message}");
            return ExitCode::from(64);
        },
    };
    let opts = opts(&args);
    if args.headless {
        headless::run(args, opts, prefs)
    } else {
        window::run(args, opts, prefs)
    }
}
