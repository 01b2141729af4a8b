//! The daemon: scheduled checks, watchlist reloads (good and bad edits) and
//! a graceful stop, against a real server on loopback.

#![allow(clippy::unwrap_used)]

mod email_support;
mod support;

use std::path::Path;
use std::time::Duration;

use redline::watchlist::WatchName;
use support::{Fault, SEED_V1, SEED_V2, Setup, Site, watch};
use tokio_util::sync::CancellationToken;

/// Waits (polling) until `done` holds, failing the test after a generous
/// deadline: the daemon's timing is not under test, only its effects.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

fn versions(store: &Path, name: &str) -> usize {
    let store = redline::store::Store::open_read_only(store);
    store
        .versions(&WatchName::parse(name).unwrap())
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_checks_on_schedule_reloads_edits_and_stops_gracefully() {
    let site = Site::start(SEED_V1).await;
    // Every second, no spread: the test sees effects quickly.
    let every_second = "schedule = \"* * * * * *\"";
    let setup = Setup::new(&watch("first", &site.url(), every_second));
    std::fs::write(
        &setup.path,
        std::fs::read_to_string(&setup.path)
            .unwrap()
            .replace("[settings]\n", "[settings]\nspread = \"0s\"\n"),
    )
    .unwrap();
    let watchlist = setup.watchlist();
    let pipeline = setup.pipeline();
    let shutdown = CancellationToken::new();
    let daemon = tokio::spawn(redline::daemon::run(watchlist, pipeline, shutdown.clone()));
    let store = setup.store_dir();

    eventually("the baseline is stored", || versions(&store, "first") == 1).await;
    site.serve(SEED_V2);
    eventually("the update is stored", || versions(&store, "first") == 2).await;

    // A valid edit adds a watch without a restart.
    let text = std::fs::read_to_string(&setup.path).unwrap();
    // Its schedule fires once a year: only the first check at once, for a
    // watch never checked, can record its baseline within the test.
    let yearly = "schedule = \"0 0 1 1 *\"";
    std::fs::write(
        &setup.path,
        format!("{text}{}", watch("second", &site.url(), yearly)),
    )
    .unwrap();
    eventually("the added watch is checked", || {
        versions(&store, "second") == 1
    })
    .await;

    // An invalid edit is refused and the daemon goes on with the last good list.
    std::fs::write(&setup.path, "[[watch]]\nname = \"broken\"\n").unwrap();
    let requests = site.requests();
    eventually("checks go on after a bad edit", || {
        site.requests() > requests + 2
    })
    .await;
    assert!(!daemon.is_finished());

    shutdown.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(30), daemon).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "the daemon stops when asked: {stopped:?}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_the_binary_cleanly() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("first", &site.url(), "schedule = \"* * * * * *\""));
    let child = support::redline(setup.dir.path())
        .arg("run")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let store = setup.store_dir();
    eventually("the daemon has checked once", || {
        versions(&store, "first") == 1
    })
    .await;
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("daemon stopped"), "{stderr}");
    // The store's lock is released: another writer may open it now.
    redline::store::Store::open(&store).unwrap();
}

/// The `redline` binary running as a daemon, its standard error collected
/// line by line as it comes.
struct Running {
    child: std::process::Child,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Running {
    fn start(setup: &Setup, args: &[&str]) -> Running {
        let mut command = support::redline(setup.dir.path());
        command.arg("run").args(args);
        Running::spawn(command)
    }

    fn spawn(mut command: std::process::Command) -> Running {
        use std::io::BufRead;
        let mut child = command
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (stderr, lines) = (child.stderr.take().unwrap(), log.clone());
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                lines.lock().unwrap().push(line);
            }
        });
        Running { child, log }
    }

    /// How many lines were logged so far: a mark to look after.
    fn mark(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits until a line after `mark` holds every one of `needles`.
    async fn wait_line(&self, mark: usize, needles: &[&str]) -> String {
        let found = || {
            self.log.lock().unwrap()[mark..]
                .iter()
                .find(|line| needles.iter().all(|n| line.contains(n)))
                .cloned()
        };
        for _ in 0..300 {
            if let Some(line) = found() {
                return line;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no log line with {needles:?}; the log:\n{}", self.log());
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal}");
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Stops the daemon with SIGTERM and returns its exit code.
    async fn stop(mut self) -> Option<i32> {
        self.signal("TERM");
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the daemon did not stop; the log:\n{}", self.log());
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Rewrites the watchlist in place, as an editor saving it would.
fn edit(path: &Path, change: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, change(text)).unwrap();
}

/// The reload walk: SIGHUP, then edits of the file (a watch added,
/// `timeout` changed, `[email]` added, a watch removed, an invalid edit),
/// each seen taking effect in the running binary.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_by_sighup_and_edits_applies_settings_channels_and_watches() {
    use email_support::{Mode, Options, SmtpServer};
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("first", &site.url(), "schedule = \"* * * * * *\""));
    edit(&setup.path, |t| {
        t.replace("[settings]\n", "[settings]\nspread = \"0s\"\n")
    });
    let store = setup.store_dir();
    let mut daemon = Running::start(&setup, &[]);
    eventually("the baseline is stored", || versions(&store, "first") == 1).await;

    // SIGHUP reloads and no longer kills the daemon.
    let mark = daemon.mark();
    daemon.signal("HUP");
    daemon
        .wait_line(mark, &["watchlist reloaded", "SIGHUP"])
        .await;
    assert!(daemon.is_running(), "SIGHUP must not stop the daemon");

    // A watch added by an edit is checked at once.
    let mark = daemon.mark();
    let yearly = "schedule = \"0 0 1 1 *\"";
    edit(&setup.path, |t| {
        format!("{t}{}", watch("second", &site.url(), yearly))
    });
    daemon
        .wait_line(mark, &["watchlist reloaded", "file edit", "watches=2"])
        .await;
    eventually("the added watch is checked", || {
        versions(&store, "second") == 1
    })
    .await;

    // A shorter timeout applies to the next checks.
    let mark = daemon.mark();
    edit(&setup.path, |t| {
        t.replace("timeout = \"5s\"", "timeout = \"1s\"")
    });
    daemon
        .wait_line(mark, &["watchlist reloaded", "settings.timeout"])
        .await;
    site.fail_next([
        Fault::Delay(Duration::from_secs(3)),
        Fault::Delay(Duration::from_secs(3)),
    ]);
    daemon
        .wait_line(mark, &["check failed", "no answer within 1s"])
        .await;

    // [email] added with the email channel: the next change is mailed.
    let smtp = SmtpServer::start(Options::new(Mode::Plain));
    let table = format!(
        "[email]\nserver = \"127.0.0.1:{}\"\nsecurity = \"none\"\nfrom = \"redline <alerts@redline.test>\"\nto = [\"desk@news.test\"]\n\n",
        smtp.addr.port()
    );
    let mark = daemon.mark();
    edit(&setup.path, |t| {
        t.replacen("[[watch]]", &format!("{table}[[watch]]"), 1)
            .replacen(
                "schedule = \"* * * * * *\"",
                "schedule = \"* * * * * *\"\nnotify = [\"log\", \"email\"]",
                1,
            )
    });
    daemon
        .wait_line(mark, &["watchlist reloaded", "[email]"])
        .await;
    site.serve(SEED_V2);
    let mail = smtp.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(
        mail.len(),
        1,
        "the change is mailed; the log:\n{}",
        daemon.log()
    );

    // A watch removed is no longer planned.
    let mark = daemon.mark();
    edit(&setup.path, |t| {
        t[..t.rfind("[[watch]]").unwrap()].to_owned()
    });
    daemon
        .wait_line(mark, &["watchlist reloaded", "watches=1"])
        .await;

    // An invalid edit is refused, and checks go on.
    let mark = daemon.mark();
    edit(&setup.path, |t| {
        t.replace("timeout = \"1s\"", "timeout = \"soon\"")
    });
    daemon
        .wait_line(mark, &["watchlist edit not applied"])
        .await;
    assert!(
        daemon.log().contains("`soon` is not a duration"),
        "{}",
        daemon.log()
    );
    let requests = site.requests();
    eventually("checks go on after a bad edit", || {
        site.requests() > requests + 2
    })
    .await;
    assert!(daemon.is_running());
    assert_eq!(daemon.stop().await, Some(0));
}

/// `run -q` hides progress lines, not alerts: the log channel's event of
/// a change is kept.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_daemon_still_logs_alerts() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("first", &site.url(), "schedule = \"* * * * * *\""));
    let store = setup.store_dir();
    let mut command = support::redline(setup.dir.path());
    command.env_remove("RUST_LOG").args(["run", "-q"]);
    let daemon = Running::spawn(command);
    eventually("the baseline is stored", || versions(&store, "first") == 1).await;
    site.serve(SEED_V2);
    let line = daemon.wait_line(0, &["article changed", "first"]).await;
    assert!(
        line.contains("summary="),
        "the alert carries its summary: {line}"
    );
    let log = daemon.log();
    assert!(!log.contains("daemon started"), "-q hides progress:\n{log}");
    assert_eq!(daemon.stop().await, Some(0));
}

/// A reload keeps the running mailer (its connection pool and delivery
/// loop) unless `[email]` itself changed, and keeps the store.
#[tokio::test]
async fn a_reload_rebuilds_the_mailer_only_when_email_changed() {
    let email = "[email]\nserver = \"127.0.0.1:2525\"\nsecurity = \"none\"\nfrom = \"redline <alerts@redline.test>\"\nto = [\"desk@news.test\"]\n\n";
    let setup = Setup::new(&format!(
        "{email}{}",
        watch(
            "first",
            "http://127.0.0.1:9/",
            "notify = [\"log\", \"email\"]"
        )
    ));
    let pipeline = setup.pipeline();
    let reread = |change: &dyn Fn(String) -> String| {
        edit(&setup.path, change);
        pipeline.reconfigured(&setup.watchlist()).unwrap()
    };
    let mailer = |p: &redline::check::Pipeline| p.notifier().mailer().cloned().unwrap();
    let faster = reread(&|t| t.replace("timeout = \"5s\"", "timeout = \"1s\""));
    assert!(std::sync::Arc::ptr_eq(&mailer(&pipeline), &mailer(&faster)));
    assert_eq!(faster.store().root(), pipeline.store().root());
    let readdressed = reread(&|t| t.replace("desk@news.test", "night@news.test"));
    assert!(!std::sync::Arc::ptr_eq(
        &mailer(&pipeline),
        &mailer(&readdressed)
    ));
}
