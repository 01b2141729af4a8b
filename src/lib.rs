//! redline: a change-monitoring daemon for news articles.
//!
//! The modules follow the pipeline (schedule → fetch → extract → store →
//! diff → notify); each says at its top what it owns and what it must not do.

pub mod article;
pub mod diff;
pub mod notify;
pub mod report;
pub mod schedule;
pub mod store;
pub mod watchlist;
