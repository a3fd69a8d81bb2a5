//! The VOSpace XML documents: [`read`] what clients send, [`write`] what the service answers.

pub mod read;
pub mod write;
