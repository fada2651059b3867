//! Help (F1): every key of the desk, by screen. Agents are not shown the
//! supervisor actions.

pub mod components;
pub mod view;
