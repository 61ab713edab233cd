//! The one output layer: results as text tables or JSON (`--output`), byte values, spinners.
//! [`Report`] is one object (key/value rows), [`Table`] a list; both print either way.

use crate::cli::OutputFormat;
use std::io::Write;

/// `outln!` for command output: every line on stdout goes through [`write_stdout`].
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// Status of a process whose output pipe was closed: what a shell reports for SIGPIPE.
pub const BROKEN_PIPE_STATUS: i32 = 141;

/// Writes command output on stdout. When the reader has gone (`medledger … | head -1`) the
/// process ends at once and quietly with [`BROKEN_PIPE_STATUS`], as a Unix tool killed by SIGPIPE
/// would; SIGPIPE itself stays ignored (Rust's default), since network writes (`writev` on
/// sockets) would otherwise kill a devnet or a client whose peer hung up.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    write_all_stdout(args.to_string().as_bytes());
}

/// [`write_stdout`] for bytes (generated completions and man pages).
pub fn write_all_stdout(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(BROKEN_PIPE_STATUS);
        }
        tracing::warn!(error = %e, "cannot write to stdout");
    }
}

/// A result printable as key/value rows or as JSON.
pub struct Report {
    title: String,
    rows: Vec<(String, serde_json::Value)>,
}

impl Report {
    pub fn new(title: impl Into<String>) -> Self {
        Report {
            title: title.into(),
            rows: Vec::new(),
        }
    }

    pub fn row(
        &mut self,
        key: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> &mut Self {
        self.rows.push((key.into(), value.into()));
        self
    }

    pub fn print(&self, format: OutputFormat) -> anyhow::Result<()> {
        match format {
            OutputFormat::Json => {
                let map: serde_json::Map<String, serde_json::Value> =
                    self.rows.iter().cloned().collect();
                outln!("{}", serde_json::to_string_pretty(&map)?);
            }
            OutputFormat::Table => {
                outln!("{}", self.title);
                let width = self.rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
                for (k, v) in &self.rows {
                    outln!("  {k:<width$}  {}", text(v));
                }
            }
        }
        Ok(())
    }
}

/// A progress line for table output (silent for JSON, which must stay one document).
pub fn step(format: OutputFormat, text: &str) {
    if format == OutputFormat::Table {
        outln!("• {text}");
    }
}

/// A list printable as a table with columns or as a JSON array of objects.
pub struct Table {
    columns: Vec<&'static str>,
    rows: Vec<Vec<serde_json::Value>>,
}

impl Table {
    pub fn new(columns: &[&'static str]) -> Self {
        Table {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, values: Vec<serde_json::Value>) -> &mut Self {
        self.rows.push(values);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn print(&self, format: OutputFormat) -> anyhow::Result<()> {
        match format {
            OutputFormat::Json => {
                let items: Vec<serde_json::Value> = self
                    .rows
                    .iter()
                    .map(|r| {
                        serde_json::Value::Object(
                            self.columns
                                .iter()
                                .map(|c| c.to_string())
                                .zip(r.iter().cloned())
                                .collect(),
                        )
                    })
                    .collect();
                outln!("{}", serde_json::to_string_pretty(&items)?);
            }
            OutputFormat::Table => {
                let cells: Vec<Vec<String>> = self
                    .rows
                    .iter()
                    .map(|r| r.iter().map(text).collect())
                    .collect();
                let widths: Vec<usize> = (0..self.columns.len())
                    .map(|i| {
                        cells
                            .iter()
                            .filter_map(|r| r.get(i))
                            .map(|c| c.chars().count())
                            .chain(std::iter::once(self.columns[i].len()))
                            .max()
                            .unwrap_or(0)
                    })
                    .collect();
                let line = |values: Vec<String>| {
                    let mut s = String::new();
                    for (i, v) in values.iter().enumerate() {
                        let w = widths.get(i).copied().unwrap_or(0);
                        if i + 1 == values.len() {
                            s.push_str(v);
                        } else {
                            s.push_str(&format!("{v:<w$}  "));
                        }
                    }
                    s.trim_end().to_owned()
                };
                outln!(
                    "{}",
                    line(self.columns.iter().map(|c| c.to_uppercase()).collect())
                );
                for r in cells {
                    outln!("{}", line(r));
                }
            }
        }
        Ok(())
    }
}

/// A JSON value as a table cell: strings bare, null as `-`.
pub fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        // Lists: items separated by "; "; objects: their values separated by spaces.
        serde_json::Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join("; "),
        serde_json::Value::Object(m) => m.values().map(text).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// Bytes as shown to a person and to scripts: UTF-8 text when valid, else base64 (the
/// `encoding` field says which).
pub fn bytes_value(bytes: &[u8]) -> (serde_json::Value, &'static str) {
    use base64::Engine;
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.into(), "utf8"),
        Err(_) => (
            base64::engine::general_purpose::STANDARD
                .encode(bytes)
                .into(),
            "base64",
        ),
    }
}

/// A spinner on stderr while something that can take over a second runs; shown only when
/// stderr is a terminal and the output is a table. Cleared when dropped.
pub struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    pub fn start(format: OutputFormat, message: impl Into<String>) -> Spinner {
        use std::io::IsTerminal;
        if format != OutputFormat::Table || !std::io::stderr().is_terminal() {
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(message.into());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        Spinner(Some(bar))
    }

    pub fn set_message(&self, message: impl Into<String>) {
        if let Some(b) = &self.0 {
            b.set_message(message.into());
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
