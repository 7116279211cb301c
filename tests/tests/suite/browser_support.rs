//! Chromium driven through ChromeDriver's WebDriver protocol (a few JSON commands over HTTP, sent
//! with the reqwest client the suite already has), for the HTML report's tests in a real browser,
//! with every request the page makes recorded from Chromium's own network log.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// Set to `1` to skip the browser tests where Chromium cannot be installed; CI installs it.
pub(crate) const SKIP_VARIABLE: &str = "SIGNIN_PREFS_SKIP_BROWSER_TESTS";

/// One browser at a time: each is a few hundred megabytes and the machines have two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A headless Chromium session.
pub(crate) struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
    profile: TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn find(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium whose every request goes to a proxy on a
    /// closed local port: nothing a page asks for can leave the machine, and every ask is still
    /// in the network log. `None` only when [`SKIP_VARIABLE`] says to skip; a missing browser
    /// otherwise fails the test, naming the packages.
    pub(crate) async fn start(name: &str) -> Option<Self> {
        let (Some(chromium), Some(chromedriver)) = (find("chromium"), find("chromedriver")) else {
            if std::env::var(SKIP_VARIABLE).is_ok_and(|value| value == "1") {
                eprintln!("skipped: no chromium or chromedriver, and {SKIP_VARIABLE}=1");
                return None;
            }
            panic!(
                "the HTML report's browser tests need Chromium and ChromeDriver: install Debian's \
                 packages `chromium` and `chromium-driver` (apt-get install -y chromium chromium-driver; \
                 .ci/run does), or set {SKIP_VARIABLE}=1 to skip them"
            );
        };
        let turn = ONE_AT_A_TIME.lock().await;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let profile = TempDir(std::env::temp_dir().join(format!(
            "signin-prefs-chromium-{name}-{}",
            std::process::id()
        )));
        let mut browser = Self {
            driver,
            http: reqwest::Client::new(),
            session: String::new(),
            profile,
            _turn: turn,
        };
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while browser
            .http
            .get(format!("{base}/status"))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-default-apps",
                    "--window-size=1280,2000",
                    format!("--user-data-dir={}", browser.profile.0.display()),
                    // Anything asked for goes to a port nothing listens on (its listener was
                    // dropped above), loopback included.
                    format!("--proxy-server=127.0.0.1:{closed}"),
                    "--proxy-bypass-list=<-loopback>",
                ],
            },
            "goog:loggingPrefs": {"performance": "ALL", "browser": "ALL"},
        }}});
        let answer = browser
            .send("POST", &format!("{base}/session"), capabilities)
            .await;
        browser.session = format!(
            "{base}/session/{}",
            answer["sessionId"].as_str().expect("a session id")
        );
        Some(browser)
    }

    async fn send(&self, method: &str, url: &str, body: Value) -> Value {
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_string()),
        };
        let text = request.send().await.unwrap().text().await.unwrap();
        let answer: Value = serde_json::from_str(&text).unwrap();
        // A WebDriver error is a value with an `error` code and a `message`.
        let failed = answer["value"]["error"].is_string() && answer["value"]["message"].is_string();
        assert!(!failed, "WebDriver {method} {url}: {text}");
        answer["value"].clone()
    }

    async fn command(&self, method: &str, path: &str, body: Value) -> Value {
        self.send(method, &format!("{}{path}", self.session), body)
            .await
    }

    /// Loads a file from disk.
    pub(crate) async fn open(&self, file: &Path) {
        let url = format!("file://{}", file.canonicalize().unwrap().display());
        self.command("POST", "/url", json!({"url": url})).await;
    }

    /// Runs `script` (a function body) in the page, with `args`, and returns what it returns.
    pub(crate) async fn run(&self, script: &str, args: Value) -> Value {
        // WebDriver takes the arguments as a list.
        let args = match args {
            Value::Array(_) => args,
            Value::Null => json!([]),
            one => json!([one]),
        };
        self.command(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": args}),
        )
        .await
    }

    /// Waits until `script` returns something other than `null` or `false`, and returns it.
    pub(crate) async fn wait_for(&self, script: &str, args: Value) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let value = self.run(script, args.clone()).await;
            if !(value.is_null() || value == json!(false)) {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for: {script}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .command(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found
            .as_object()
            .and_then(|object| object.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    /// Types `text` into the element `css` selects, as keystrokes.
    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            json!({"text": text}),
        )
        .await;
    }

    /// Clicks the element `css` selects.
    pub(crate) async fn click(&self, css: &str) {
        let element = self.element(css).await;
        self.command("POST", &format!("/element/{element}/click"), json!({}))
            .await;
    }

    /// Lays the page out as for printing (CSS `@media print`), through Chromium's DevTools.
    pub(crate) async fn emulate_print(&self) {
        self.command(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": "print"}}),
        )
        .await;
    }

    /// Saves a screenshot of the window as PNG.
    pub(crate) async fn screenshot(&self, to: &Path) {
        let png = self.command("GET", "/screenshot", Value::Null).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, bytes).unwrap();
    }

    /// Every request the pages loaded from disk asked for since the last call, other than the
    /// files themselves (`file:`) and inline data (`data:`), from Chromium's network log; and every load its
    /// content security policy refused, from the console: an attempt is a failure too.
    pub(crate) async fn requests(&self) -> Vec<String> {
        let mut asked = Vec::new();
        let performance = self
            .command("POST", "/se/log", json!({"type": "performance"}))
            .await;
        for entry in performance.as_array().unwrap() {
            let message: Value = serde_json::from_str(entry["message"].as_str().unwrap()).unwrap();
            let message = &message["message"];
            // Requests of the pages loaded from disk; the browser's own pages (its new-tab
            // page's `chrome://` resources) are not the report's.
            let params = &message["params"];
            let from_a_file = params["documentURL"]
                .as_str()
                .is_some_and(|document| document.starts_with("file:"));
            if message["method"] == "Network.requestWillBeSent" && from_a_file {
                let url = params["request"]["url"].as_str().unwrap_or("");
                if !(url.starts_with("file:") || url.starts_with("data:")) {
                    asked.push(url.to_owned());
                }
            }
        }
        let console = self
            .command("POST", "/se/log", json!({"type": "browser"}))
            .await;
        for entry in console.as_array().unwrap() {
            let text = entry["message"].as_str().unwrap_or("");
            if text.contains("Content Security Policy") || text.contains("Refused to") {
                asked.push(format!("refused: {text}"));
            }
        }
        asked
    }

    /// Ends the session and ChromeDriver.
    pub(crate) async fn quit(mut self) {
        self.command("DELETE", "", Value::Null).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // After a failure, ChromeDriver is not left running; it takes its Chromium with it.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Where screenshots go: under the build's target directory, never committed.
pub(crate) fn screenshot_path(name: &str) -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        std::path::PathBuf::from,
    );
    target.join("html-report-screenshots").join(name)
}
