//! Integration tests: the real binary, real ledgers in temporary homes.

mod activation;
mod audit_keyed;
mod bad_input;
mod c_client;
mod concurrency;
mod console;
mod everyday;
mod fleet;
mod fuzz_regressions;
mod installed_ivr;
mod installed_voice;
mod ivr;
mod postgres;
mod regressions;
mod regressions_ledger;
mod regressions_output;
mod rules;
mod service;
mod sip;
mod site;
mod support;
