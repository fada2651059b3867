//! Entitlement: who may activate what, and why. Data in catalog and agreement
//! files, rules in code, no I/O.
//!
//! - [`catalog`]: products, families, versions, classes, profiles, thresholds,
//!   and which host products may serve site activation for which products.
//! - [`agreement`]: customers' licensing agreements and their programs.
//! - [`rules`]: the decision for one activation request, with its trace.
//! - [`advice`]: which key kind suits a planned deployment.

pub mod advice;
pub mod agreement;
pub mod catalog;
pub mod rules;

pub use agreement::{Agreement, Agreements, Program};
pub use catalog::{Catalog, Class, Product};
pub use rules::{
    decide, Channel, Decision, DenyReason, Grant, KeyRecord, PriorActivation, Request, Role,
};

/// A file could not be loaded; nothing from it was used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct FileError {
    /// The file's name as given.
    pub file: String,
    /// 1-based line (0 when the error concerns the whole file).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl FileError {
    /// An error at byte `offset` of `text`.
    pub fn at(file: &str, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        Self {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A TOML syntax or shape error.
    pub fn from_toml(file: &str, text: &str, e: &toml::de::Error) -> Self {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        Self::at(file, text, offset, e.message().trim().to_string())
    }
}
