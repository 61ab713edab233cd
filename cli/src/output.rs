//! Printing results as text tables or JSON (`--output`).

use crate::cli::OutputFormat;

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
                println!("{}", serde_json::to_string_pretty(&map)?);
            }
            OutputFormat::Table => {
                println!("{}", self.title);
                let width = self.rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
                for (k, v) in &self.rows {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    println!("  {k:<width$}  {text}");
                }
            }
        }
        Ok(())
    }
}

/// A progress line for table output (silent for JSON, which must stay one document).
pub fn step(format: OutputFormat, text: &str) {
    if format == OutputFormat::Table {
        println!("• {text}");
    }
}
