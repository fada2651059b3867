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
//! environment variable cannot move a product's grace period.

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
    /// A bug (a panic was caught) or an unexpected failure.
    ActlineInternal = 1,
    /// Bad input: a null or non-UTF-8 argument, a mistyped key or
    /// confirmation ID, unreadable trust data or state.
    ActlineBadInput = 2,
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
    if e.is_verification_failure() {
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
    fn a_caught_panic_is_internal() {
        let code = guard(|| panic!("boom"));
        assert_eq!(code, ActlineCode::ActlineInternal);
        assert!(last().contains("internal error"));
    }
}
