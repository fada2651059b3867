//! `actline staff`: staff, roles and tokens for remote desks.

use super::backend::{expect_reply, Backend};
use actline::display::visible;
use actline::entitlement::rules::Role;
use actline::service::Request;
use anyhow::Result;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum StaffCmd {
    /// Add a staff member (or change their role).
    Add {
        /// Operating-system user name.
        name: String,
        /// agent or supervisor.
        #[arg(long, value_parser = ["agent", "supervisor"])]
        role: String,
    },
    /// Remove a staff member, and their token (supervisors; the last supervisor stays).
    Remove {
        /// The staff member.
        name: String,
    },
    /// List staff.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Issue a bearer token for NAME's remote desk (replacing any earlier
    /// one), valid 90 days; printed once, stored hashed (supervisors).
    Token {
        /// The staff member.
        name: String,
    },
    /// Revoke NAME's token: their remote desk is refused from the next request (supervisors).
    RevokeToken {
        /// The staff member.
        name: String,
    },
}

pub fn run(backend: &Backend, cmd: StaffCmd) -> Result<()> {
    match cmd {
        StaffCmd::Add { name, role } => {
            let role = if role == "supervisor" {
                Role::Supervisor
            } else {
                Role::Agent
            };
            expect_reply!(
                backend.call(Request::StaffAdd {
                    name: name.clone(),
                    role
                })?,
                Staff
            );
            outln!("{} is now {}", visible(&name), role.name())?;
        }
        StaffCmd::Remove { name } => {
            expect_reply!(
                backend.call(Request::StaffRemove { name: name.clone() })?,
                Staff
            );
            outln!("{} is no longer on the staff", visible(&name))?;
        }
        StaffCmd::List { json } => {
            let staff = expect_reply!(backend.call(Request::StaffList)?, Staff).staff;
            if json {
                outln!("{}", serde_json::to_string_pretty(&staff)?)?;
                return Ok(());
            }
            for m in staff {
                outln!("{} {}", visible(&m.name), m.role.as_deref().unwrap_or("-"))?;
            }
        }
        StaffCmd::Token { name } => {
            let t = expect_reply!(backend.call(Request::StaffToken { name })?, Token);
            outln!("{}", t.token)?;
            eprintln!(
                "token for {} (shown once; store it in a file only they can read, and pass it with --token-file)",
                visible(&t.name)
            );
        }
        StaffCmd::RevokeToken { name } => {
            let t = expect_reply!(backend.call(Request::StaffRevokeToken { name })?, Token);
            outln!("token of {} revoked", visible(&t.name))?;
        }
    }
    Ok(())
}
