//! Integration tests: the real binary, real ledgers in temporary homes.

mod activation;
mod bad_input;
mod concurrency;
mod console;
mod fuzz_regressions;
mod ivr;
mod regressions;
mod regressions_output;
mod rules;
mod support;
