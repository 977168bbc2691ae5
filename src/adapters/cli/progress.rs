//! Progress of long commands (workspace import and export, legacy import) on stderr, only
//! when stderr is a terminal: a person watching sees what is happening, while scripts and
//! `--json` callers (stdout) and log collectors (stderr redirected) get nothing extra.

use std::{
    io::{IsTerminal, Write},
    time::Instant,
};

/// Prints one line per step, with the time since the command started.
pub struct Progress {
    out: Option<Box<dyn Write + Send>>,
    started: Instant,
}

impl Progress {
    /// Progress on stderr when it is a terminal; silent otherwise.
    pub fn on_stderr() -> Self {
        let stderr = std::io::stderr();
        let out: Option<Box<dyn Write + Send>> = if stderr.is_terminal() {
            Some(Box::new(stderr))
        } else {
            None
        };
        Self {
            out,
            started: Instant::now(),
        }
    }

    /// Progress into `out` (tests).
    #[cfg(test)]
    pub fn to_writer(out: Box<dyn Write + Send>) -> Self {
        Self {
            out: Some(out),
            started: Instant::now(),
        }
    }

    /// Says that `what` starts now.
    pub fn step(&mut self, what: impl std::fmt::Display) {
        let elapsed = self.started.elapsed().as_secs_f64();
        if let Some(out) = &mut self.out {
            // Progress is a courtesy: a closed terminal must not fail the command.
            let _ = writeln!(out, "gatehouse: [{elapsed:6.1}s] {what}");
            let _ = out.flush();
        }
    }

    /// Says that the command finished.
    pub fn done(&mut self) {
        self.step("done");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn each_step_is_one_line_with_the_elapsed_time() {
        let sink = Shared::default();
        let mut progress = Progress::to_writer(Box::new(sink.clone()));
        progress.step("reading export.json");
        progress.step(format_args!("importing {} members", 3));
        progress.done();
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].starts_with("gatehouse: [") && lines[0].ends_with("] reading export.json")
        );
        assert!(lines[1].ends_with("importing 3 members"));
        assert!(lines[2].ends_with("done"));
    }
}
