//! Background work that runs beside the HTTP server in every instance.

pub mod counter;
pub mod housekeeping;
pub mod mail_worker;
pub mod sealing;
