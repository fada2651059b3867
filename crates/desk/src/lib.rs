//! The agent desk (`actline agent`): a keyboard-first terminal UI for
//! call-center agents, built with tui-realm 4. The only crate of actline
//! that imports tuirealm, ratatui or crossterm; it knows no command line
//! (the binary turns its arguments into [`Options`]).
//!
//! - [`desk`]: the model — every screen's state and `update(msg) -> Option<Msg>`;
//!   no terminal, so it is tested with plain values.
//! - [`msg`]: the messages — UI changes, domain intents, domain replies.
//! - [`session`]: the domain — each intent as requests to the engine (in
//!   the binary's process or a running `actline serve`: the desk never
//!   opens the ledger or the secrets), run on a worker thread so a slow
//!   engine never blocks typing.
//! - one folder per screen, each with `components/` (key maps), `update.rs`
//!   and `view.rs`: [`activation`], [`lookup`], [`calls`], plus the
//!   [`supervisor`] dialogs and [`help`].
//! - [`app`]: the tui-realm application — mounting, focus, drawing, the loop;
//!   replies and the IVR's handovers enter through a port.
//!
//! The terminal is always restored on exit, panics included.

pub mod activation;
pub mod app;
pub mod bind;
pub mod calls;
pub mod demo;
pub mod desk;
pub mod global;
pub mod help;
pub mod lookup;
pub mod msg;
pub mod play;
pub mod session;
pub mod supervisor;
pub mod view_model;
pub mod widgets;

#[cfg(test)]
mod tests;

use anyhow::{bail, Context, Result};
use app::{Model, ReplyPort};
use desk::Desk;
use msg::{Intent, Msg};
use session::{Engine, Session, Worker};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;
use tuirealm::listener::EventListenerCfg;
use tuirealm::ratatui::crossterm::event::DisableBracketedPaste;
use tuirealm::ratatui::crossterm::{cursor, execute};
use tuirealm::terminal::{CrosstermInputListener, CrosstermTerminalAdapter, TerminalAdapter};

/// How the desk plays confirmation IDs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Command that plays a WAV file, `{}` standing for the file; `None`
    /// looks for a player when the machine has a sound device, else the
    /// readout is saved and its path shown.
    pub player: Option<String>,
    /// Directory of voice packs for the play key (`None`: the defaults).
    pub voices: Option<PathBuf>,
    /// The voice pack's language for the play key (`en`, `de`, `fr`, …).
    pub voice: String,
}

/// Seconds between checks for calls the IVR handed over.
const HANDOVER_POLL: Duration = Duration::from_secs(2);

/// Runs the desk until the agent quits, sending every request to `engine`;
/// `place` names where the ledger is, for the status bar.
pub fn run(engine: Engine, place: String, args: &Options) -> Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("the agent desk needs a terminal (stdin and stdout)");
    }

    let (tx, rx) = mpsc::channel();
    let session = Session::new(engine, place).with_audio(
        args.player.clone(),
        args.voices.clone(),
        &args.voice,
    );
    let worker = Worker::start(session, tx, HANDOVER_POLL);
    let mut desk = Desk::new(Box::new(worker));
    desk.dispatch(Msg::Intent(Intent::Connect));

    // Keys are read as soon as they arrive: the input port blocks up to
    // 20 ms waiting for one and is polled again at once.
    let listener = EventListenerCfg::default()
        .add_port(
            Box::new(CrosstermInputListener::new(Duration::from_millis(40))),
            Duration::ZERO,
            64,
        )
        .add_port(Box::new(ReplyPort(rx)), Duration::ZERO, 16)
        .tick_interval(Duration::from_secs(1));

    let terminal = open_terminal()?;
    let size = terminal.raw().size().unwrap_or_default();
    desk.size = (size.width, size.height);
    let result = Model::new(desk, terminal, listener).and_then(|mut m| m.run());
    close_terminal();
    result
}

/// Raw mode, alternate screen, bracketed paste; a panic hook that undoes
/// them before the message is printed (the adapter's own hook restores raw
/// mode and the screen; this one adds paste and the cursor).
fn open_terminal() -> Result<CrosstermTerminalAdapter> {
    let mut t = CrosstermTerminalAdapter::new().context("cannot open the terminal")?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        close_terminal();
        previous(info);
    }));
    t.enable_raw_mode().context("cannot enter raw mode")?;
    t.enter_alternate_screen()
        .context("cannot use the alternate screen")?;
    // Without bracketed paste a paste arrives as typed keys, which works too.
    let _ = t.enable_bracketed_paste();
    // No clear: the alternate screen starts blank, and ratatui's clear asks
    // the terminal for the cursor position (a round trip at start-up).
    Ok(t)
}

/// Undoes what the adapter does not: bracketed paste and a hidden cursor.
fn close_terminal() {
    let mut out = std::io::stdout();
    let _ = execute!(out, DisableBracketedPaste, cursor::Show);
    let _ = out.flush();
}
