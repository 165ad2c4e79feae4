//! The binary, end to end: every test runs the real `heihui` on fixtures it writes itself.

mod classify;
mod commands;
mod common;
mod corpus;
mod data;
mod files;
mod input;
mod label;
mod model;
mod model_checks;
