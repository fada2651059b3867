//! Integration tests: the real binary, real ledgers in temporary homes.

mod activation;
mod bad_input;
mod concurrency;
mod rules;
mod support;
mod fuzz_regressions;
