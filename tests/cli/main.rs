//! The binary, end to end: every test runs the real `heihui` on fixtures it writes itself.

mod campaigns;
mod classify;
mod clues;
mod commands;
mod common;
mod contacts;
mod corpus;
mod data;
mod label;
mod mapper;
mod model;
