//! The C ABI: what a product written in C, C++ or C# calls. The header,
//! `include/actline_client.h`, is generated from this file by cbindgen and
//! committed; a test fails when it is stale.
//!
//! Conventions, for every function:
//! - it returns an [`ActlineCode`]; on anything but `ACTLINE_OK`,
//!   [`actline_last_error`] gives a one-line message (UTF-8) for this thread;
//! - strings in and out are NUL-terminated UTF-8; strings returned through
//!   an out-pointer belong to the caller, who frees them with
//!   [`actline_string_free`];
//! - a handle is opaque, made by [`actline_client_new`] and freed by
//!   [`actline_client_free`]; one handle may be used from several threads
//!   (calls on it are serialised);
//! - a null pointer where one is required is `ACTLINE_BAD_INPUT`, and no
//!   panic ever crosses the boundary (`ACTLINE_INTERNAL`).
//!
//! The date is the system clock's; `ACTLINE_TODAY` is not read here, so an
//! environment variable cannot move a product's grace period (nor a site
//! lease's renewal).
//!
//! Site activation: [`actline_site_activate`] takes a lease from a site
//! host on the customer's network (the first time with the product key),
//! and [`actline_site_renew_if_due`], called at every start of the product,
//! renews it from the same host when it is due (every 7 days), so the
//! library keeps its lease on its own.

use crate::site::lease::SiteOutcome;
use crate::{Client, ClientError, Status, Trust};
use actline_formats::fingerprint::Components;
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Mutex;

/// What a call did. The values are those of the `actline` command's exit
/// codes.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActlineCode {
    /// Success.
    ActlineOk = 0,
    /// A bug (a panic was caught) or an unexpected failure; also a site
    /// host that cannot be reached or stops answering (the network).
    ActlineInternal = 1,
    /// Bad input: a null or non-UTF-8 argument, a mistyped key or
    /// confirmation ID, unreadable trust data or state; also a site host's
    /// refusal (its reason is the message).
    ActlineBadInput = 2,
    /// Site activation: the host counted this machine but counts fewer
    /// machines than the product's threshold, so it activates none yet; ask
    /// again at the outcome's `retry_at` (the CLI's exit 3).
    ActlineNotYet = 3,
    /// Verification failed: the confirmation ID does not belong to this
    /// installation, or the activation was ended by a failed check.
    ActlineVerifyFailed = 4,
}

/// Where an install stands.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActlineState {
    /// Activated, and the activation verifies on this machine.
    ActlineActivated = 0,
    /// Unlocked by a setup key: no activation needed.
    ActlineUnlocked = 1,
    /// Not activated, within the grace period (`days_left` says how long).
    ActlineGrace = 2,
    /// Not activated, grace period over: notification mode.
    ActlineNotification = 3,
}

/// The status of one product on this machine.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ActlineStatus {
    /// The state.
    pub state: ActlineState,
    /// Days of grace left (0 unless `state` is `ACTLINE_GRACE`).
    pub days_left: u16,
    /// True when an earlier activation was ended by a failed check (a copied
    /// state, changed hardware, an edited file); the description says why.
    pub ended: bool,
}

/// A client: a state directory and the vendor's trust data. Opaque.
pub struct ActlineClient {
    inner: Mutex<(std::path::PathBuf, Trust)>,
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_error(message: &str) {
    let clean = message.replace('\0', " ");
    LAST_ERROR.with(|e| *e.borrow_mut() = CString::new(clean).unwrap_or_default());
}

fn code_of(e: &ClientError) -> ActlineCode {
    if let ClientError::Site(crate::site::SiteError::Net(_)) = e {
        // As the CLI's exit 1: the host could not be reached.
        ActlineCode::ActlineInternal
    } else if e.is_verification_failure() {
        ActlineCode::ActlineVerifyFailed
    } else {
        ActlineCode::ActlineBadInput
    }
}

/// Runs `f`, turning errors and panics into a code and the thread's message.
fn guard(f: impl FnOnce() -> Result<(), (ActlineCode, String)>) -> ActlineCode {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            set_error("");
            ActlineCode::ActlineOk
        }
        Ok(Err((code, message))) => {
            set_error(&message);
            code
        }
        Err(_) => {
            set_error("internal error in actline-client (a bug: please report it)");
            ActlineCode::ActlineInternal
        }
    }
}

fn bad(message: impl Into<String>) -> (ActlineCode, String) {
    (ActlineCode::ActlineBadInput, message.into())
}

fn client_err(e: ClientError) -> (ActlineCode, String) {
    (code_of(&e), e.to_string())
}

/// A required string argument.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string.
unsafe fn arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, (ActlineCode, String)> {
    if p.is_null() {
        return Err(bad(format!("{name}: a string is required, got NULL")));
    }
    // SAFETY: non-null, and the caller promises NUL termination.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| bad(format!("{name}: not UTF-8")))
}

/// The machine: the posed fingerprint JSON, or this machine's when null.
///
/// # Safety
/// As [`arg`].
unsafe fn machine(p: *const c_char) -> Result<Components, (ActlineCode, String)> {
    if p.is_null() {
        return Ok(crate::collect());
    }
    // SAFETY: as the caller promises.
    let text = unsafe { arg(p, "fingerprint_json") }?;
    Components::from_json(text, "fingerprint_json").map_err(|e| bad(e.to_string()))
}

/// Hands a string to the caller through `out`.
///
/// # Safety
/// `out` is null or valid for a write.
unsafe fn give(out: *mut *mut c_char, s: Option<String>) {
    if out.is_null() {
        return;
    }
    let p = s
        .and_then(|s| CString::new(s).ok())
        .map_or(std::ptr::null_mut(), CString::into_raw);
    // SAFETY: checked non-null; the caller promises it is writable.
    unsafe { *out = p };
}

fn with_client<T>(
    client: *const ActlineClient,
    product: Option<&str>,
    f: impl FnOnce(&Client) -> Result<T, ClientError>,
) -> Result<T, (ActlineCode, String)> {
    // SAFETY: the caller passes a handle from `actline_client_new` (or null).
    let Some(handle) = (unsafe { client.as_ref() }) else {
        return Err(bad("client: a handle is required, got NULL"));
    };
    let guard = handle.inner.lock().map_err(|_| {
        (
            ActlineCode::ActlineInternal,
            "client handle poisoned by an earlier panic".to_string(),
        )
    })?;
    let c = Client::new(guard.0.clone(), guard.1.clone()).with_product(product.map(str::to_string));
    f(&c).map_err(client_err)
}

/// Makes a client for the state directory `state_dir` (created when
/// needed), trusting `trust_json`: the product's trust data, which the
/// product should carry compiled in (`actline trust export` writes it).
///
/// # Safety
/// `state_dir` and `trust_json` are NUL-terminated strings; `out` is valid
/// for a write. On success `*out` is a handle to free with
/// [`actline_client_free`]; on failure it is set to null.
#[no_mangle]
pub unsafe extern "C" fn actline_client_new(
    state_dir: *const c_char,
    trust_json: *const c_char,
    out: *mut *mut ActlineClient,
) -> ActlineCode {
    if !out.is_null() {
        // SAFETY: checked non-null.
        unsafe { *out = std::ptr::null_mut() };
    }
    guard(|| {
        if out.is_null() {
            return Err(bad("out: a place for the handle is required, got NULL"));
        }
        // SAFETY: as promised by the caller.
        let dir = unsafe { arg(state_dir, "state_dir") }?;
        // SAFETY: as promised by the caller.
        let trust = unsafe { arg(trust_json, "trust_json") }?;
        let trust = Trust::from_json(trust, Path::new("trust_json")).map_err(client_err)?;
        let handle = Box::new(ActlineClient {
            inner: Mutex::new((dir.into(), trust)),
        });
        // SAFETY: checked non-null above.
        unsafe { *out = Box::into_raw(handle) };
        Ok(())
    })
}

/// Frees a handle. Null is ignored.
///
/// # Safety
/// `client` is null or a handle from [`actline_client_new`] not yet freed.
#[no_mangle]
pub unsafe extern "C" fn actline_client_free(client: *mut ActlineClient) {
    if !client.is_null() {
        // SAFETY: made by Box::into_raw in actline_client_new, freed once.
        drop(unsafe { Box::from_raw(client) });
    }
}

/// Makes the installation ID for `key` and `product` on this machine (or on
/// the machine `fingerprint_json` poses, when not null) and remembers it.
/// `*iid_out` receives the ID as digit groups, or null when `key` is a setup
/// key, which unlocks the product without activation.
///
/// # Safety
/// `client` is a live handle; `product`, `key` and (when not null)
/// `fingerprint_json` are NUL-terminated; `iid_out` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn actline_client_installation_id(
    client: *const ActlineClient,
    product: *const c_char,
    key: *const c_char,
    fingerprint_json: *const c_char,
    iid_out: *mut *mut c_char,
) -> ActlineCode {
    // SAFETY: null or writable, as promised.
    unsafe { give(iid_out, None) };
    guard(|| {
        // SAFETY: as promised by the caller.
        let (product, key) = unsafe { (arg(product, "product")?, arg(key, "key")?) };
        // SAFETY: as promised by the caller.
        let m = unsafe { machine(fingerprint_json) }?;
        let iid = with_client(client, None, |c| {
            c.make_iid(key, product, &m, actline_formats::days::clock_today())
        })?;
        // SAFETY: null or writable, as promised.
        unsafe { give(iid_out, iid.map(|i| i.to_string())) };
        Ok(())
    })
}

/// Verifies the confirmation ID `cid` (any grouping) against the remembered
/// installation ID of `product` and this machine, and stores the activation.
///
/// # Safety
/// As [`actline_client_installation_id`].
#[no_mangle]
pub unsafe extern "C" fn actline_client_confirm(
    client: *const ActlineClient,
    product: *const c_char,
    cid: *const c_char,
    fingerprint_json: *const c_char,
) -> ActlineCode {
    guard(|| {
        // SAFETY: as promised by the caller.
        let (product, cid) = unsafe { (arg(product, "product")?, arg(cid, "cid")?) };
        // SAFETY: as promised by the caller.
        let m = unsafe { machine(fingerprint_json) }?;
        with_client(client, Some(product), |c| {
            c.confirm(cid, &m, actline_formats::days::clock_today())
        })?;
        Ok(())
    })
}

/// Re-verifies everything for `product` and says where the install stands.
/// `*description_out`, when not null, receives one line for people.
///
/// # Safety
/// As [`actline_client_installation_id`]; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn actline_client_status(
    client: *const ActlineClient,
    product: *const c_char,
    fingerprint_json: *const c_char,
    out: *mut ActlineStatus,
    description_out: *mut *mut c_char,
) -> ActlineCode {
    // SAFETY: null or writable, as promised.
    unsafe { give(description_out, None) };
    guard(|| {
        if out.is_null() {
            return Err(bad("out: a place for the status is required, got NULL"));
        }
        // SAFETY: as promised by the caller.
        let product = unsafe { arg(product, "product") }?;
        // SAFETY: as promised by the caller.
        let m = unsafe { machine(fingerprint_json) }?;
        let s = with_client(client, Some(product), |c| {
            c.status(&m, actline_formats::days::clock_today())
        })?;
        let status = ActlineStatus {
            state: match &s {
                Status::Activated { .. } | Status::Leased { .. } => ActlineState::ActlineActivated,
                Status::Unlocked { .. } => ActlineState::ActlineUnlocked,
                Status::Grace { .. } => ActlineState::ActlineGrace,
                Status::Notification { .. } => ActlineState::ActlineNotification,
            },
            days_left: match &s {
                Status::Grace { days_left, .. } => *days_left,
                _ => 0,
            },
            ended: s.ended().is_some(),
        };
        // SAFETY: checked non-null; the caller promises it is writable.
        unsafe { *out = status };
        // SAFETY: null or writable, as promised.
        unsafe { give(description_out, Some(s.describe())) };
        Ok(())
    })
}

/// The system clock, Unix seconds (not `ACTLINE_TODAY`: see the module).
fn clock_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What a site host's outcome comes to: `ACTLINE_OK` for a lease,
/// `ACTLINE_NOT_YET` while the host counts below its threshold.
fn site_result(outcome: &SiteOutcome) -> Result<(), (ActlineCode, String)> {
    match outcome {
        SiteOutcome::Leased { .. } => Ok(()),
        SiteOutcome::Counting { .. } => Err((ActlineCode::ActlineNotYet, outcome.describe())),
    }
}

/// Asks the site host at `host` (`name:port`) to activate `product` on
/// this machine (or on the machine `fingerprint_json` poses, when not
/// null), with `key` the first time (null: the key stored for the product
/// by an earlier call); checks the host's signed answer and credentials
/// against the trust data, offline; and stores the lease, which
/// [`actline_client_status`] then reports as activated. The call waits for
/// the host (at most 5 s to connect and 10 s for each line).
///
/// `*outcome_json_out`, when not null, receives what the host decided, as
/// `actline client site activate --json` prints it: `{"outcome":"leased",
/// "product", "count", "threshold", "expires" (YYYY-MM-DD), "renew_at"
/// (Unix seconds), "renewed"}` or `{"outcome":"counting", "product",
/// "count", "threshold", "retry_at"}`; null when there was no decision.
///
/// Returns `ACTLINE_OK` on a lease; `ACTLINE_NOT_YET` while the host counts
/// fewer machines than the product's threshold (this machine is counted;
/// ask again at `retry_at`); `ACTLINE_INTERNAL` when the host cannot be
/// reached or stops answering; `ACTLINE_VERIFY_FAILED` when its answer or
/// credentials do not verify; `ACTLINE_BAD_INPUT` for bad arguments, a
/// product already activated by phone, or the host's refusal.
///
/// # Safety
/// `client` is a live handle; `host`, `product` and (when not null) `key`
/// and `fingerprint_json` are NUL-terminated; `outcome_json_out` is null or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn actline_site_activate(
    client: *const ActlineClient,
    host: *const c_char,
    product: *const c_char,
    key: *const c_char,
    fingerprint_json: *const c_char,
    outcome_json_out: *mut *mut c_char,
) -> ActlineCode {
    // SAFETY: null or writable, as promised.
    unsafe { give(outcome_json_out, None) };
    guard(|| {
        // SAFETY: as promised by the caller.
        let (host, product) = unsafe { (arg(host, "host")?, arg(product, "product")?) };
        let key = if key.is_null() {
            None
        } else {
            // SAFETY: non-null, and NUL-terminated as promised.
            Some(unsafe { arg(key, "key") }?)
        };
        // SAFETY: as promised by the caller.
        let m = unsafe { machine(fingerprint_json) }?;
        let outcome = with_client(client, Some(product), |c| {
            c.site_activate(host, product, key, &m, clock_now())
        })?;
        // SAFETY: null or writable, as promised.
        unsafe { give(outcome_json_out, serde_json::to_string(&outcome).ok()) };
        site_result(&outcome)
    })
}

/// Renews `product`'s site lease when it is due: if the lease's renewal
/// time (7 days after the last answer) has come, or, not yet activated, the
/// host's retry time, asks the host that answered last, as
/// [`actline_site_activate`] with the stored key; otherwise does nothing
/// and asks no one. Call it at every start of the product: a lease renewed
/// at least once in 180 days never runs out. On this machine or, when not
/// null, the machine `fingerprint_json` poses.
///
/// `*renewed_out`, when not null, is set to true when a lease was taken or
/// renewed by this call, false when nothing was due (or on a failure).
///
/// Returns `ACTLINE_OK` when nothing was due (also when `product` was
/// never activated by a site host here: there is nothing to renew) or the
/// lease was renewed; otherwise as [`actline_site_activate`]
/// (`ACTLINE_INTERNAL` when the host cannot be reached: the stored lease
/// still holds until it runs out, so the product may go on and try again
/// at its next start).
///
/// # Safety
/// `client` is a live handle; `product` and (when not null)
/// `fingerprint_json` are NUL-terminated; `renewed_out` is null or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn actline_site_renew_if_due(
    client: *const ActlineClient,
    product: *const c_char,
    fingerprint_json: *const c_char,
    renewed_out: *mut bool,
) -> ActlineCode {
    if !renewed_out.is_null() {
        // SAFETY: checked non-null; the caller promises it is writable.
        unsafe { *renewed_out = false };
    }
    guard(|| {
        // SAFETY: as promised by the caller.
        let product = unsafe { arg(product, "product") }?;
        // SAFETY: as promised by the caller.
        let m = unsafe { machine(fingerprint_json) }?;
        let now = clock_now();
        let outcome = with_client(client, Some(product), |c| {
            let Some(host) = c.site_due(product, now)? else {
                return Ok(None);
            };
            c.site_activate(&host, product, None, &m, now).map(Some)
        })?;
        let Some(outcome) = outcome else {
            return Ok(());
        };
        site_result(&outcome)?;
        if !renewed_out.is_null() {
            // SAFETY: checked non-null; the caller promises it is writable.
            unsafe { *renewed_out = true };
        }
        Ok(())
    })
}

/// The message of this thread's last failed call ("" after a success). The
/// pointer stays valid until the next call on this thread; do not free it.
#[no_mangle]
pub extern "C" fn actline_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// Frees a string this library returned. Null is ignored.
///
/// # Safety
/// `s` is null or a string from this library, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn actline_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: made by CString::into_raw in `give`, freed once.
        drop(unsafe { CString::from_raw(s) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last() -> String {
        // SAFETY: actline_last_error returns a live NUL-terminated string.
        unsafe { CStr::from_ptr(actline_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn null_arguments_are_bad_input_with_a_message() {
        let mut out = std::ptr::null_mut();
        // SAFETY: null strings are allowed and refused.
        let code = unsafe { actline_client_new(std::ptr::null(), std::ptr::null(), &mut out) };
        assert_eq!(code, ActlineCode::ActlineBadInput);
        assert!(out.is_null());
        assert!(last().contains("state_dir"), "{}", last());
        let mut status = ActlineStatus {
            state: ActlineState::ActlineGrace,
            days_left: 0,
            ended: false,
        };
        let p = CString::new("studio").unwrap();
        // SAFETY: a null handle is refused.
        let code = unsafe {
            actline_client_status(
                std::ptr::null(),
                p.as_ptr(),
                std::ptr::null(),
                &mut status,
                std::ptr::null_mut(),
            )
        };
        assert_eq!(code, ActlineCode::ActlineBadInput);
        assert!(last().contains("handle"), "{}", last());
    }

    #[test]
    fn bad_trust_data_is_bad_input_and_no_handle() {
        let dir = tempfile::tempdir().unwrap();
        let d = CString::new(dir.path().to_str().unwrap()).unwrap();
        let t = CString::new("{not json").unwrap();
        let mut out = std::ptr::null_mut();
        // SAFETY: valid strings and out-pointer.
        let code = unsafe { actline_client_new(d.as_ptr(), t.as_ptr(), &mut out) };
        assert_eq!(code, ActlineCode::ActlineBadInput);
        assert!(out.is_null());
        assert!(last().contains("not a trust file"), "{}", last());
    }

    #[test]
    fn site_calls_check_their_arguments_and_renew_nothing_without_a_lease() {
        let dir = tempfile::tempdir().unwrap();
        let d = CString::new(dir.path().to_str().unwrap()).unwrap();
        let t = CString::new(r#"{"format":1,"fingerprint_salt":"00","products":{}}"#).unwrap();
        let mut client = std::ptr::null_mut();
        // SAFETY: valid strings and out-pointer.
        let code = unsafe { actline_client_new(d.as_ptr(), t.as_ptr(), &mut client) };
        assert_eq!(code, ActlineCode::ActlineOk, "{}", last());
        let p = CString::new("studio").unwrap();
        let mut json = std::ptr::null_mut();
        // SAFETY: a live handle; a null host is refused.
        let code = unsafe {
            actline_site_activate(
                client,
                std::ptr::null(),
                p.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                &mut json,
            )
        };
        assert_eq!(code, ActlineCode::ActlineBadInput);
        assert!(last().contains("host"), "{}", last());
        assert!(json.is_null());
        let mut renewed = true;
        // SAFETY: a live handle, valid strings and out-pointer.
        let code = unsafe {
            actline_site_renew_if_due(client, p.as_ptr(), std::ptr::null(), &mut renewed)
        };
        assert_eq!(code, ActlineCode::ActlineOk, "{}", last());
        assert!(!renewed);
        // SAFETY: made above, freed once.
        unsafe { actline_client_free(client) };
    }

    #[test]
    fn a_caught_panic_is_internal() {
        let code = guard(|| panic!("boom"));
        assert_eq!(code, ActlineCode::ActlineInternal);
        assert!(last().contains("internal error"));
    }
}
