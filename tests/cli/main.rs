//! The binary, end to end: every test runs the real `heihui` on fixtures it writes itself.

mod builtin;
mod campaigns;
mod classify;
mod clues;
mod columns;
mod commands;
mod common;
mod contacts;
mod corpus;
mod data;
mod decision;
mod files;
mod flags;
mod input;
mod json;
mod label;
mod mapper;
mod model;
mod model_checks;
mod report;
mod shapes;
mod shell;
mod snapshots;
mod spans;
mod terminal;
mod xlsx;
