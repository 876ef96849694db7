//! eddy-load: a load generator for any DynamoDB endpoint (eddy, dynalite,
//! moto, ...), speaking AWS JSON 1.0 with SigV4-signed requests over
//! keep-alive HTTP/1.1, one connection per concurrent worker.

pub mod client;
pub mod hist;
pub mod mix;
pub mod report;
pub mod run;
pub mod sigv4;
pub mod workload;
