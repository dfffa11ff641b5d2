//! What organisers do, each operation once: the command line (`cli`) and
//! the dashboard (`routes::admin`) both call these, and only say it in their
//! own words. The rules (who may export what, when a petition may take
//! signatures again) live here, above `db/`, which runs the queries.

pub mod exports;
pub mod held;
pub mod petitions;
