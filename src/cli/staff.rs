//! `actline staff`: staff, roles and tokens for remote desks.

pub use super::args::StaffCmd;
use super::backend::{expect_reply, Backend};
use actline::display::visible;
use actline::entitlement::rules::Role;
use actline::service::Request;
use anyhow::Result;

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
