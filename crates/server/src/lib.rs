//! actline's engine service over the network: `actline serve` (a Unix
//! socket with peer credentials, TLS with bearer tokens) and the client
//! the command line and the desk use to reach it.
//!
//! - [`routes`]: the HTTP shape of every request, one table both ways;
//! - [`serve`]: the service (hyper on tokio, rustls);
//! - [`client`]: a blocking client;
//! - [`tls`]: certificates and keys.
//!
//! The engine itself ([`actline_engine::service`]) knows no HTTP.
#![deny(missing_docs)]

pub mod client;
pub mod routes;
pub mod serve;
pub mod tls;
