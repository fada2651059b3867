//! `actline report`: what an account manager asks for, as CSV.

pub use super::args::ReportArgs;
use super::backend::{expect_reply, Backend};
use super::batch::csv;
use actline::service::Request;
use anyhow::Result;

/// The CSV header; one row per day, agreement and product follows.
const HEADER: &str = "day,agreement,customer,product,product_code,granted,new_seats,denied";

pub fn run(backend: &Backend, a: ReportArgs) -> Result<()> {
    if !super::stdio::is_stdio(&a.out) {
        backend.refuse_output(&a.out)?;
    }
    let report = expect_reply!(
        backend.call(Request::Report {
            since: a.since,
            until: a.until,
        })?,
        Report
    );
    let mut text = format!("{HEADER}\n");
    for r in &report.rows {
        text.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            r.day,
            csv(r.agreement.as_deref().unwrap_or("")),
            csv(r.customer.as_deref().unwrap_or("")),
            csv(&r.product),
            r.product_code,
            r.granted,
            r.new_seats,
            r.denied
        ));
    }
    super::stdio::write(&a.out, text.as_bytes())
}
