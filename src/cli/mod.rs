//! The command line. Only this module (and the console) knows about flags;
//! everything it does is a call into the library.
//!
//! Results go to standard output through [`outln!`] and [`out!`], never
//! `println!`: a write that fails (`actline activate IID | head -1` closes
//! the pipe) is an error returned to [`main`], not a panic, and a broken pipe
//! exits 0 quietly (the convention of ripgrep and most Unix tools).

/// `println!` to standard output (or the pager, see [`pager`]) that
/// returns the `std::io::Result` instead of panicking when the write fails.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::pager::write_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` to standard output (or the pager) that returns the `std::io::Result`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::pager::write_fmt(format_args!($($arg)*))
    };
}

mod activate;
mod activation;
mod agent;
mod audit;
pub(crate) mod backend;
mod batch;
mod catalog;
mod client;
mod demo;
mod init;
mod ivr;
mod json;
mod key;
mod ledger;
mod man;
mod pager;
mod report;
mod say;
mod serve;
mod signing;
mod staff;
mod stdio;
mod trust;

pub(crate) mod args;

pub use args::command;
use args::{Cli, Command, Global, ENGINE_OPTIONS, ON_THEIR_OWN};
use std::fmt;

impl Command {
    /// Whether the command prints listings that may be long (paged on a terminal).
    fn lists(&self) -> bool {
        use audit::AuditCmd;
        use catalog::{AgreementCmd, CatalogCmd};
        match self {
            Command::Key(k) => matches!(k, key::KeyCmd::List { .. } | key::KeyCmd::Show { .. }),
            Command::Catalog(c) => matches!(c, CatalogCmd::Show { .. }),
            Command::Agreement(a) => {
                matches!(a, AgreementCmd::List { .. } | AgreementCmd::Show { .. })
            }
            Command::Activation(a) => matches!(a, activation::ActivationCmd::Show { .. }),
            Command::Staff(s) => matches!(s, staff::StaffCmd::List { .. }),
            Command::Audit(a) => matches!(a, AuditCmd::Show { .. }),
            Command::Report(_) => true,
            _ => false,
        }
    }
}

/// A failure with its exit code.
#[derive(Debug)]
pub struct Failure {
    code: i32,
    message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Bad input or usage (exit 2).
pub fn bad(message: impl Into<String>) -> anyhow::Error {
    Failure {
        code: 2,
        message: message.into(),
    }
    .into()
}

/// Denied by entitlement (exit 3).
pub fn denied(message: impl Into<String>) -> anyhow::Error {
    Failure {
        code: 3,
        message: message.into(),
    }
    .into()
}

/// Verification failed (exit 4).
pub fn failed(message: impl Into<String>) -> anyhow::Error {
    Failure {
        code: 4,
        message: message.into(),
    }
    .into()
}

/// The exit code for an error: typed library errors know theirs.
fn exit_code(e: &anyhow::Error) -> i32 {
    use actline::ledger::LedgerError;
    for cause in e.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return f.code;
        }
        if let Some(a) = cause.downcast_ref::<actline::service::ApiError>() {
            use actline::service::ErrorKind;
            return match a.kind {
                ErrorKind::Unverified => 4,
                ErrorKind::Busy | ErrorKind::Internal => 1,
                _ => 2,
            };
        }
        if let Some(c) = cause.downcast_ref::<actline::client::ClientError>() {
            use actline::client::{site::SiteError, ClientError};
            return match c {
                ClientError::Site(SiteError::Net(_)) => 1,
                c if c.is_verification_failure() => 4,
                _ => 2,
            };
        }
        let ledger = cause.downcast_ref::<LedgerError>().or_else(|| match cause
            .downcast_ref::<actline::home::HomeError>(
        ) {
            Some(actline::home::HomeError::Ledger(l)) => Some(l),
            _ => None,
        });
        if let Some(l) = ledger {
            return match l {
                LedgerError::Sql(_)
                | LedgerError::Postgres(_)
                | LedgerError::Unreachable { .. }
                | LedgerError::DiskFull
                | LedgerError::NoAuditKey => 1,
                LedgerError::Unverified(_) => 4,
                _ => 2,
            };
        }
    }
    2
}

/// The engine the command talks to.
fn backend(cli: &Global) -> anyhow::Result<backend::Backend> {
    match &cli.server {
        Some(_) if cli.ledger.is_some() => anyhow::bail!(
            "--ledger (or ACTLINE_LEDGER) names the ledger of a home opened here; with --server the service uses its own"
        ),
        Some(url) => backend::Backend::remote(url, cli.token_file.as_deref(), cli.ca.as_deref()),
        None => backend::Backend::local(&home(cli)),
    }
}

/// The vendor home from `--home`, `ACTLINE_HOME` or the per-user default,
/// with the ledger `--ledger` or `ACTLINE_LEDGER` names.
fn home(cli: &Global) -> actline::home::Home {
    actline::home::Home::at(
        cli.home
            .clone()
            .unwrap_or_else(actline::home::Home::default_dir),
    )
    .with_ledger(cli.ledger.clone())
}

/// Parses the command line: the typed options, or clap's error; an engine
/// option typed for a command that would ignore it is bad usage.
fn parse() -> Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    let matches = command().try_get_matches()?;
    if let Some((name, sub)) = matches.subcommand() {
        if ON_THEIR_OWN.contains(&name) {
            let typed = |m: &clap::ArgMatches, id| {
                m.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
            };
            let mut levels = vec![&matches, sub];
            while let Some((_, m)) = levels.last().and_then(|m| m.subcommand()) {
                levels.push(m);
            }
            for (id, flag) in ENGINE_OPTIONS {
                if levels.iter().any(|m| typed(m, id)) {
                    return Err(clap::Error::raw(
                        clap::error::ErrorKind::ArgumentConflict,
                        format!("`actline {name}` opens no vendor home and talks to no service, so {flag} has no use there\n"),
                    ));
                }
            }
        }
    }
    Cli::from_arg_matches(&matches)
}

/// Parses the command line, runs it and returns the exit code.
pub fn main() -> i32 {
    let cli = match parse() {
        Ok(c) => c,
        Err(e) if e.use_stderr() => {
            // One line: clap's message up to its usage block.
            let text = e.render().to_string();
            let message: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
                .collect();
            eprintln!(
                "actline: {} (see actline --help)",
                message.join(" ").trim_start_matches("error: ")
            );
            return 2;
        }
        Err(e) => {
            let _ = e.print();
            return 0;
        }
    };
    if let Ok(v) = std::env::var("ACTLINE_TODAY") {
        if actline::days::parse(&v).is_none() {
            eprintln!("actline: ACTLINE_TODAY={v:?} is not a date YYYY-MM-DD between 2020-01-01 and 2199-06-06");
            return 2;
        }
    }
    // The desk's screen is no place for a line on standard error, and the
    // service logs the wait its own way.
    if !matches!(cli.command, Command::Agent(_) | Command::Serve(_)) {
        let ledger = home(&cli.global).ledger_place();
        actline::ledger::wait::on_long_wait(move |_| {
            eprintln!(
                "actline: waiting for the ledger {}: another process is writing to it (giving up after {} s)",
                ledger,
                actline::ledger::wait::LOCK_PATIENCE.as_secs()
            )
        });
    }
    if cli.command.lists() {
        pager::start();
    }
    let result = match cli.command {
        Command::Serve(a) => serve::run(&home(&cli.global), &a),
        Command::Init(a) => init::run(&home(&cli.global), &a),
        Command::Key(c) => backend(&cli.global).and_then(|b| key::run(&b, c)),
        Command::Activate(a) => backend(&cli.global).and_then(|b| activate::run(&b, a)),
        Command::Batch(a) => backend(&cli.global).and_then(|b| batch::run(&b, &a)),
        Command::Catalog(c) => backend(&cli.global).and_then(|b| catalog::catalog(&b, c)),
        Command::Agreement(c) => backend(&cli.global).and_then(|b| catalog::agreement(&b, c)),
        Command::Activation(c) => backend(&cli.global).and_then(|b| activation::run(&b, c)),
        Command::Staff(c) => backend(&cli.global).and_then(|b| staff::run(&b, c)),
        Command::Audit(c) => backend(&cli.global).and_then(|b| audit::audit(&b, c)),
        Command::Ledger(c) => ledger::run(&home(&cli.global), cli.global.server.as_deref(), c),
        Command::SigningKey(c) => signing::run(&home(&cli.global), cli.global.server.as_deref(), c),
        Command::Report(a) => backend(&cli.global).and_then(|b| report::run(&b, a)),
        Command::Advise(a) => backend(&cli.global).and_then(|b| audit::advise(&b, &a)),
        Command::Trust(c) => backend(&cli.global).and_then(|b| trust::run(&b, c)),
        Command::Client(a) => client::run(a),
        Command::Demo(a) => demo::run(&a),
        Command::Agent(a) => agent::run(backend(&cli.global), a),
        Command::Ivr(a) => backend(&cli.global).and_then(|b| ivr::ivr(b, &a)),
        Command::Dtmf(c) => ivr::dtmf(c),
        Command::Say(a) => say::run(&a),
        Command::Voices(a) => say::run_voices(&a),
        Command::Man { command, out } => man::run(&command, out.as_deref()),
        Command::Completions { shell } => {
            // Into memory first: the generator panics on a write error, and
            // a closed pipe (`| head`) is an ordinary end here.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command(), "actline", &mut script);
            out!("{}", String::from_utf8_lossy(&script)).map_err(anyhow::Error::from)
        }
    };
    // Flush here (and let the pager's reader finish), so a failed flush is
    // reported like any other write.
    let finished = pager::finish();
    let result = result.and_then(|()| Ok(finished?));
    match result {
        Ok(()) => 0,
        Err(e) => {
            // A closed pipe (`actline ... | head`) is not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return 0;
            }
            let msg = e.chain().map(|c| c.to_string()).collect::<Vec<_>>();
            // One line: the outermost context, then the cause if it adds something.
            let line = msg.iter().fold(String::new(), |acc, m| {
                if acc.contains(m.as_str()) {
                    acc
                } else if acc.is_empty() {
                    m.clone()
                } else {
                    format!("{acc}: {m}")
                }
            });
            // Messages quote input (names, labels): show its control
            // characters rather than let them drive the terminal.
            eprintln!(
                "actline: {}",
                actline::display::visible(&line.replace('\n', " "))
            );
            exit_code(&e)
        }
    }
}
