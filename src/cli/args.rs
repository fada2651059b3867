//! The command line's definition, and nothing else: clap's derive types
//! for every command and option. The binary parses with it (`cli::main`)
//! and `build.rs` includes this file to write the man pages at build
//! time, so it uses only clap, clap_complete and the standard library.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes:
  0  success (also when standard output is closed early, as by `| head`)
  1  internal error (a bug, the ledger stayed locked too long, or the service cannot be reached)
  2  bad input or usage: the message says what and where (also a role or token refused)
  3  denied by entitlement: the reasons say why and what would make it succeed
  4  verification failed: a confirmation ID, an activation or the audit trail did not verify";

/// actline: offline telephone activation for a vendor's own products.
#[derive(Parser, Debug)]
#[command(name = "actline", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes: which home, or which service.
#[derive(clap::Args, Debug)]
pub struct Global {
    /// The vendor home: ledger, secrets, trust file.
    #[arg(long, global = true, env = "ACTLINE_HOME")]
    pub home: Option<PathBuf>,
    /// Talk to a running `actline serve` instead of opening the home:
    /// unix:/path/to/socket or https://host:port.
    #[arg(long, global = true, env = "ACTLINE_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// The bearer token for an https server (from `actline staff token NAME`).
    #[arg(long, global = true, env = "ACTLINE_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The certificate authority (PEM) an https server's certificate must chain to.
    #[arg(long, global = true, env = "ACTLINE_CA", value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// The ledger on a PostgreSQL server (postgres://user@host/db), instead
    /// of the one the home remembers; `init` makes it there and the home
    /// remembers it.
    #[arg(
        long,
        global = true,
        env = "ACTLINE_LEDGER",
        value_name = "URL",
        hide_env_values = true
    )]
    pub ledger: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a vendor home: ledger, signing keys, and with --demo the demo catalog and agreements.
    Init(InitArgs),
    /// Issue and look up product keys, change limits.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Decide an installation ID and print the confirmation ID on a grant.
    Activate(ActivateArgs),
    /// Proxy activation: many installation IDs from a file, results to another.
    Batch(BatchArgs),
    /// Load or show the product catalog.
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// Load or show agreements.
    #[command(subcommand)]
    Agreement(AgreementCmd),
    /// Look up activations, move seats.
    #[command(subcommand)]
    Activation(ActivationCmd),
    /// Staff and roles.
    #[command(subcommand)]
    Staff(StaffCmd),
    /// Show or verify the audit trail.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Back up or restore the ledger (where the home is, as its owner).
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Rotate the key that signs confirmation IDs (where the home is, as its owner; supervisors; audited).
    #[command(subcommand, name = "signing-key")]
    SigningKey(SigningKeyCmd),
    /// Activations per day, agreement and product, as CSV (for account managers).
    Report(ReportArgs),
    /// Recommend a key kind for a planned deployment.
    Advise(AdviseArgs),
    /// Export the trust file for one product's clients.
    #[command(subcommand)]
    Trust(TrustCmd),
    /// The customer's machine: make installation IDs, enter confirmation IDs, check status.
    Client(ClientArgs),
    /// Run the whole activation loop on this machine, in a throwaway home, step by step.
    Demo(DemoArgs),
    /// Serve the engine: the only process that opens the home; desks, scripts and the IVR connect to it.
    Serve(ServeArgs),
    /// The agent desk: activation, lookups, calls handed over by the IVR (terminal UI).
    Agent(AgentArgs),
    /// Run a whole IVR call from the caller's recorded audio or a scripted key timeline.
    Ivr(Box<IvrArgs>),
    /// Decode or encode DTMF tones.
    #[command(subcommand)]
    Dtmf(DtmfCmd),
    /// Read a confirmation ID or an IVR prompt aloud into an audio file.
    Say(SayArgs),
    /// List the installed voice packs and what each covers.
    Voices(VoicesArgs),
    /// Print a man page (written at build time): `actline man`, `actline man key issue`;
    /// with --out, write every page into a directory.
    Man {
        /// The command whose page to print (none: actline's own).
        command: Vec<String>,
        /// Write every page (actline.1, actline-key.1, …) into this directory instead.
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        out: Option<PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Commands that open no home and talk to no service.
pub const ON_THEIR_OWN: [&str; 7] = [
    "demo",
    "say",
    "dtmf",
    "voices",
    "completions",
    "man",
    "client",
];
/// The options that name a home or a service (argument ids of [`Global`]).
pub const ENGINE_OPTIONS: [(&str, &str); 5] = [
    ("home", "--home"),
    ("server", "--server"),
    ("token_file", "--token-file"),
    ("ca", "--ca"),
    ("ledger", "--ledger"),
];

/// The command-line definition, with the engine options taken out of the
/// help of the commands that would ignore them.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let cmd = Cli::command();
    // A subcommand's own argument of a global's name stands in for the
    // global there (and below it, being global too): a hidden copy.
    let hidden: Vec<clap::Arg> = ENGINE_OPTIONS
        .iter()
        .filter_map(|(id, _)| cmd.get_arguments().find(|a| a.get_id() == id))
        .map(|a| a.clone().hide(true))
        .collect();
    ON_THEIR_OWN.iter().fold(cmd, |c, name| {
        c.mut_subcommand(*name, |s| s.args(hidden.iter().cloned()))
    })
}

// ---- activate

#[derive(Args, Debug)]
pub struct ActivateArgs {
    /// The installation ID, as read out (any grouping).
    pub iid: String,
    /// The agreement the caller says they are under.
    #[arg(long)]
    pub agreement: Option<String>,
    /// JSON output: decision, confirmation_id, reasons.
    #[arg(long)]
    pub json: bool,
    /// A retry with the same key returns the first reply.
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
}

// ---- activation

#[derive(Subcommand, Debug)]
pub enum ActivationCmd {
    /// Show one activation with its decision trace.
    Show {
        /// Activation number.
        id: i64,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Release the seat an activation holds, so a replacement machine can take it (supervisors; audited).
    Release {
        /// Activation number.
        id: i64,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

// ---- agent

#[derive(Args, Debug, Clone, Default)]
pub struct AgentArgs {
    /// Use the demo desk ($XDG_DATA_HOME/actline-demo-desk, apart from the
    /// vendor home), created on first use with the demo catalog, agreements,
    /// keys (listed in its demo-keys.txt) and two handed-over calls.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: delete the demo desk and start it again in its first state.
    #[arg(long, requires = "demo")]
    pub reset: bool,
    /// Command that plays a WAV file, `{}` standing for the file (e.g.
    /// `aplay -q {}`); by default a player is looked for when the machine
    /// has a sound device, else the readout is saved and its path shown.
    #[arg(long, env = "ACTLINE_PLAYER", value_name = "CMD")]
    pub player: Option<String>,
    /// Directory of voice packs for the play key.
    #[arg(long, env = "ACTLINE_VOICES", value_name = "DIR")]
    pub voices: Option<PathBuf>,
    /// The voice pack the play key reads with (en, de, fr built in; or a
    /// pack under --voices).
    #[arg(long, default_value = "en", value_name = "LANG")]
    pub voice: String,
}

// ---- audit

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Recompute the hash chain.
    Verify,
    /// Show the trail, optionally filtered.
    Show {
        /// Only entries whose time, action, actor, subject or detail contains this (case ignored).
        #[arg(long)]
        filter: Option<String>,
        /// Only entries from this day on (YYYY-MM-DD, UTC).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Only the newest N entries.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// JSON output: the entries, oldest first.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct AdviseArgs {
    /// Product name.
    #[arg(long)]
    pub product: String,
    /// Machines planned.
    #[arg(long)]
    pub machines: u32,
}

// ---- batch

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// Input: one installation ID a line, or CSV lines `label,installation ID`
    /// (or `label;installation ID`; a batch's own output file works too);
    /// `-` for standard input.
    pub input: PathBuf,
    /// Output CSV: label, installation ID, decision, confirmation ID, reason;
    /// `-` for standard output.
    pub output: PathBuf,
    /// Installation IDs per transaction (1 to 100000).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub chunk: u64,
}

// ---- catalog

#[derive(Subcommand, Debug)]
pub enum CatalogCmd {
    /// Load a catalog file (all or nothing; never drops products in use).
    Load {
        /// The TOML file (`-` for standard input).
        file: PathBuf,
    },
    /// Show the catalog.
    Show {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgreementCmd {
    /// Load an agreements file (all or nothing).
    Load {
        /// The TOML file (`-` for standard input).
        file: PathBuf,
    },
    /// List every agreement on file.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show an agreement: keys, seats used and left, activations.
    Show {
        /// Licensing ID.
        id: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

// ---- client

#[derive(Args, Debug)]
pub struct ClientArgs {
    /// The client's state directory.
    #[arg(long, global = true, env = "ACTLINE_CLIENT_DIR")]
    pub state: Option<PathBuf>,
    /// The product's trust file, from `actline trust export` (default: STATE/trust.json).
    #[arg(long, global = true, env = "ACTLINE_TRUST")]
    pub trust: Option<PathBuf>,
    /// Pose as the machine described in this JSON file instead of reading this one's hardware.
    #[arg(long, global = true)]
    pub fingerprint: Option<PathBuf>,
    #[command(subcommand)]
    pub command: ClientCmd,
}

#[derive(Subcommand, Debug)]
pub enum ClientCmd {
    /// Make the installation ID for a product key on this machine.
    Iid {
        /// The product key (25 characters).
        #[arg(long)]
        key: String,
        /// The product, by catalog name.
        #[arg(long)]
        product: String,
    },
    /// Enter the confirmation ID read out by the activation line.
    Confirm {
        /// The confirmation ID (any grouping).
        cid: String,
        /// The product (needed when several have state here).
        #[arg(long)]
        product: Option<String>,
    },
    /// Re-verify the activation: activated, grace (days left) or notification mode.
    Status {
        /// JSON output.
        #[arg(long)]
        json: bool,
        /// The product (needed when several have state here).
        #[arg(long)]
        product: Option<String>,
    },
    /// Print the hardware components this machine reports (they never leave it: only keyed digests do).
    Fingerprint,
    /// Site activation: serve the site's machines as its host, or take a lease from one.
    #[command(subcommand)]
    Site(SiteCmd),
}

#[derive(Subcommand, Debug)]
pub enum SiteCmd {
    /// On the host (its product activated by phone with a site-host key): answer the site's machines until stopped.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:7788.
        #[arg(long)]
        listen: String,
        /// The host product (needed when several have state here).
        #[arg(long)]
        product: Option<String>,
    },
    /// On a site machine: ask the host to activate a product, or renew its lease (exit 3 while the host counts fewer machines than its threshold).
    Activate {
        /// The host, as name:port.
        #[arg(long)]
        host: String,
        /// The product, by catalog name.
        #[arg(long)]
        product: String,
        /// The product's volume key (needed the first time only).
        #[arg(long)]
        key: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Lease days left, last renewal, host and count (on a machine); per product count, threshold, leases and recent clients (on the host).
    Status {
        /// JSON output.
        #[arg(long)]
        json: bool,
        /// The product (needed when several have state here).
        #[arg(long)]
        product: Option<String>,
    },
}

// ---- demo

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Keep the demo home instead of deleting it (its path is printed).
    #[arg(long)]
    pub keep: bool,
}

// ---- init

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Load the demo catalog and agreements from samples/.
    #[arg(long)]
    pub demo: bool,
}

// ---- ivr

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct IvrArgs {
    #[command(subcommand)]
    pub cmd: Option<IvrCmd>,
    /// The caller's recorded audio (WAV, 16-bit mono; any rate; `-` for standard input).
    #[arg(long, conflicts_with = "dtmf", required_unless_present = "dtmf")]
    pub audio: Option<PathBuf>,
    /// A scripted key timeline instead of audio, e.g. "2s 1234567 500ms 2345678 ... 60s".
    #[arg(long)]
    pub dtmf: Option<String>,
    /// Write the IVR's side of the call here (8 kHz WAV, time-aligned with the caller's; `-` for standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the transcript (JSON) here (`-` or none: standard output).
    #[arg(long)]
    pub transcript: Option<PathBuf>,
    /// The call's identifier (in the transcript, the ledger and hand-overs).
    #[arg(long, default_value = "call-1")]
    pub call: String,
    #[command(flatten)]
    pub flow: FlowArgs,
}

#[derive(Subcommand, Debug)]
pub enum IvrCmd {
    /// Answer real calls over SIP (UDP) and RTP, with the same call flow,
    /// voice and ledger as `ivr --audio`; runs until SIGTERM or SIGINT.
    Serve(LineServeArgs),
}

/// What the IVR says and listens for, whether on a recording or a line.
#[derive(Args, Debug)]
pub struct FlowArgs {
    /// Voice pack language.
    #[arg(long, default_value = "en")]
    pub voice: String,
    /// Voice packs directory instead of the built-in packs.
    #[arg(long, env = "ACTLINE_VOICES")]
    pub voices: Option<PathBuf>,
    /// A directory of the vendor's own grammars (iid_group.gram, cid_menu.gram,
    /// agent.gram); a file missing there, or no directory, uses the grammars
    /// built into actline.
    #[arg(long, env = "ACTLINE_GRAMMARS")]
    pub grammars: Option<PathBuf>,
    /// First-digit timeout in milliseconds (100 to 600000).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub first_digit_timeout: u64,
    /// Inter-digit timeout in milliseconds (100 to 600000).
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub inter_digit_timeout: u64,
}

#[derive(Args, Debug)]
pub struct LineServeArgs {
    /// Where to listen for SIP (UDP), e.g. 127.0.0.1:5080 (port 0: any; the
    /// first log line says which).
    #[arg(long, value_name = "ADDR")]
    pub sip: std::net::SocketAddr,
    #[command(flatten)]
    pub line: LineArgs,
}

/// How the telephone line answers (`ivr serve`, `serve --sip`).
#[derive(Args, Debug)]
pub struct LineArgs {
    /// Write each call's transcript (JSON) into this directory.
    #[arg(long, value_name = "DIR")]
    pub transcripts: Option<PathBuf>,
    /// Also write what the line sent on each call, DIR/<call>.wav (8 kHz).
    #[arg(long, requires = "transcripts")]
    pub record: bool,
    /// Transfer callers who ask for an agent here with SIP REFER; without it
    /// (or when the REFER fails) they hear that an agent will call back.
    #[arg(long, value_name = "URI")]
    pub agent_uri: Option<String>,
    /// Calls at once; more are answered 486 Busy Here.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_calls: u32,
    /// Addresses calls may come from (repeatable, e.g. 10.0.0.0/8); default: loopback only.
    #[arg(long, value_name = "CIDR")]
    pub allow: Vec<String>,
    /// Ring this long before answering (milliseconds, 0 to 60000).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub answer_after: u64,
    /// End a call when no RTP came for this many seconds (1 to 3600).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub rtp_timeout: u64,
    #[command(flatten)]
    pub flow: FlowArgs,
}

#[derive(Subcommand, Debug)]
pub enum DtmfCmd {
    /// Print the keys heard in a recording, on one line.
    Decode {
        /// WAV file (16-bit mono, any rate; `-` for standard input).
        file: PathBuf,
    },
    /// Write tones to a WAV file: keys (0-9 * # A-D) or a whole key timeline
    /// ("2s 1234567 1s 2345678 ... 60s"), for caller audio to feed `actline ivr --audio`.
    Encode {
        /// The keys, or a timeline of keys and pauses.
        keys: String,
        /// Output WAV (8 kHz, 16-bit mono; `-` for standard output).
        #[arg(long)]
        out: PathBuf,
        /// Tone length in milliseconds (20 to 1000; the detector needs 40).
        #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u32).range(20..=1000))]
        tone_ms: u32,
        /// Gap after each tone in milliseconds (20 to 1000).
        #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u32).range(20..=1000))]
        gap_ms: u32,
    },
}

// ---- key

#[derive(Subcommand, Debug)]
pub enum KeyCmd {
    /// Issue a product key; prints it.
    Issue {
        /// Product name from the catalog.
        #[arg(long)]
        product: String,
        /// The kind of key.
        #[arg(long, default_value = "mak", value_parser = ["mak", "site-host", "setup", "retail"])]
        kind: String,
        /// Activations allowed (default: the agreement's allowance; 6 hosts for site-host; 1 for retail).
        #[arg(long)]
        activations: Option<u32>,
        /// Agreement (licensing ID) the key belongs to.
        #[arg(long)]
        agreement: Option<String>,
        /// Why it is issued (recorded in the audit trail next to the issue).
        #[arg(long)]
        reason: Option<String>,
        /// A retry with the same key returns the first key issued instead of a second one.
        #[arg(long, value_name = "KEY")]
        idempotency_key: Option<String>,
        /// JSON output: the key as `key show --json` gives it.
        #[arg(long)]
        json: bool,
    },
    /// List keys: all, one product's, or those a search finds (a whole key
    /// or serial, three or more characters of one, part of an agreement's
    /// number or customer's name).
    List {
        /// What to search for (nothing: every key).
        query: Option<String>,
        /// Only this product's keys.
        #[arg(long)]
        product: Option<String>,
        /// At most this many (1 to 500).
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=500))]
        limit: u64,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show a key: kind, product, agreement, seats used and left, activations.
    Show {
        /// The product key, or its serial as the audit trail prints it.
        key: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Change a key's activation limit (supervisors; audited).
    Limit {
        /// The product key, or its serial.
        key: String,
        /// The new limit.
        limit: u32,
        /// Why (recorded in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Revoke a key (a leaked key, a refund): it activates nothing more; existing activations stay (supervisors; audited).
    Revoke {
        /// The product key, or its serial.
        key: String,
        /// Why (recorded in the audit trail).
        #[arg(long)]
        reason: String,
    },
}

// ---- ledger

#[derive(Subcommand, Debug)]
pub enum LedgerCmd {
    /// Copy the ledger into a new file while it is in use (SQLite's online
    /// backup), then verify the copy as `audit verify` does.
    Backup {
        /// The backup file to create (never overwritten; not inside the home).
        file: PathBuf,
    },
    /// Replace the ledger with a backup of this home, once the backup
    /// verified; the ledger as it was is kept in the home first.
    Restore {
        /// A file `ledger backup` wrote for this home.
        file: PathBuf,
    },
    /// Copy the ledger, with its audit trail, into a new PostgreSQL ledger
    /// (refused when the database holds anything), verify the copy, and
    /// use it from now on (supervisors; audited in both).
    Copy {
        /// postgres://user@host/db of an empty database.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

// ---- report

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// From this day on (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DAY")]
    pub since: Option<String>,
    /// Up to and including this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DAY")]
    pub until: Option<String>,
    /// Write the CSV here (`-`, the default, for standard output).
    #[arg(long, default_value = "-")]
    pub out: PathBuf,
}

// ---- say

/// Arguments of `actline say`.
#[derive(Debug, Clone, clap::Args)]
pub struct SayArgs {
    /// Confirmation ID to read out: digit groups separated by '-' (or given as
    /// separate arguments), e.g. 123456-789012-345678; without separators
    /// when its length is a profile's (140 digits signed, 48 compact)
    #[arg(
        value_name = "CID",
        required_unless_present = "prompt",
        conflicts_with = "prompt"
    )]
    pub id: Vec<String>,

    /// Say this IVR prompt of the voice pack instead of an ID (e.g. welcome;
    /// `actline voices` lists what each pack covers)
    #[arg(long, value_name = "NAME")]
    pub prompt: Option<String>,

    /// Voice pack language (en, de, fr built in; or a directory under --voices)
    #[arg(long, value_name = "LANG", default_value = "en")]
    pub voice: String,

    /// Output sample rate: 8000 (telephone), 16000 (wideband) or native
    #[arg(long, value_name = "HZ", default_value = "8000")]
    pub rate: String,

    /// Output format: wav (16-bit PCM), ulaw or alaw (raw G.711, 8000 Hz)
    #[arg(long, value_name = "FORMAT", default_value = "wav")]
    pub format: String,

    /// Speaking pace: 1.0 normal, 0.7 slower (longer pauses), 1.3 brisker
    #[arg(long, value_name = "PACE", default_value_t = 1.0)]
    pub pace: f32,

    /// Start the readout with "Your confirmation ID is"
    #[arg(long)]
    pub intro: bool,

    /// Output file ('-' writes to standard output)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: PathBuf,

    /// Directory of voice packs instead of the built-in ones
    #[arg(long, value_name = "DIR", env = "ACTLINE_VOICES")]
    pub voices: Option<PathBuf>,
}

/// Arguments of `actline voices`.
#[derive(Debug, Clone, clap::Args)]
pub struct VoicesArgs {
    /// Directory of voice packs instead of the built-in ones
    #[arg(long, value_name = "DIR", env = "ACTLINE_VOICES")]
    pub voices: Option<PathBuf>,

    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

// ---- serve

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The Unix socket to listen on (callers are known by their OS user).
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Permissions of the socket file, octal (who may connect; only staff are served).
    #[arg(long, default_value = "666", value_name = "MODE")]
    pub socket_mode: String,
    /// TCP address for TLS (callers are known by their bearer token), e.g. 127.0.0.1:8443.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// PEM certificate chain for --listen.
    #[arg(long, value_name = "FILE", requires = "listen")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --listen.
    #[arg(long, value_name = "FILE", requires = "listen")]
    pub tls_key: Option<PathBuf>,
    /// Seconds a client has to send a request's head (slower clients are dropped).
    #[arg(long, default_value_t = 10, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub head_timeout: u64,
    /// Also answer telephone calls here (SIP over UDP, as `ivr serve`), in
    /// this process, deciding with this service's engine.
    #[arg(long, value_name = "ADDR")]
    pub sip: Option<std::net::SocketAddr>,
    #[command(flatten)]
    pub line: LineArgs,
}

// ---- staff

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

// ---- trust

#[derive(Subcommand, Debug)]
pub enum TrustCmd {
    /// Write the trust file for clients of one product: the fingerprint salt
    /// and that product's public key (signed) or verification secret
    /// (compact) and setup secret. HOME/trust.json holds every product's
    /// secrets and is for the vendor only.
    Export {
        /// Product name from the catalog.
        #[arg(long)]
        product: String,
        /// The file to write (owner-only; `-` for standard output).
        #[arg(long)]
        out: PathBuf,
    },
}

// ---- signing

#[derive(Subcommand, Debug)]
pub enum SigningKeyCmd {
    /// The signing keys: which one signs, which are retired.
    List,
    /// Make a new signing key (the next number); it signs nothing until `use`.
    /// Give clients trust files with it first (`actline trust export`).
    New,
    /// Sign new confirmation IDs with this key (restart a running `actline serve`).
    Use {
        /// The key's number.
        number: u8,
    },
    /// Destroy a key's private half: nothing signs with it again, and what it
    /// signed keeps verifying (its public half stays in the trust files).
    Retire {
        /// The key's number (not the one in use).
        number: u8,
    },
}
