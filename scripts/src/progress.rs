//! Progress of long multi-transaction commands (`keel deploy`): on a terminal, a spinner per
//! phase naming the transaction in flight and how long it has waited, finished steps printed above
//! it; elsewhere (pipes, CI, `--json`) plain lines on stderr.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use keel_deploy::Progress;

/// Renders [`Progress`] events.
pub struct DeployProgress {
    spinner: Option<ProgressBar>,
    terminal: bool,
}

impl DeployProgress {
    /// A display on stderr: animated when stderr is a terminal.
    pub fn stderr() -> Self {
        DeployProgress {
            spinner: None,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Shows one event.
    pub fn show(&mut self, event: Progress<'_>) {
        match event {
            Progress::Phase(name) => {
                self.finish();
                if self.terminal {
                    let spinner = ProgressBar::new_spinner();
                    if let Ok(style) =
                        ProgressStyle::with_template("{spinner} {prefix:.bold}: {msg} [{elapsed}]")
                    {
                        spinner.set_style(style);
                    }
                    spinner.set_prefix(name.to_string());
                    spinner.set_message("reading the chain");
                    spinner.enable_steady_tick(Duration::from_millis(100));
                    self.spinner = Some(spinner);
                } else {
                    eprintln!("== {name}");
                }
            }
            Progress::Sending(what) => {
                if let Some(spinner) = &self.spinner {
                    spinner.set_message(what.to_string());
                    spinner.reset_elapsed();
                }
            }
            Progress::Line(line) => match &self.spinner {
                Some(spinner) => spinner.println(line),
                None => eprintln!("{line}"),
            },
        }
    }

    /// Clears the spinner (before the summary is printed).
    pub fn finish(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }
}
