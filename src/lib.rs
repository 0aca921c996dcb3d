pub mod diagnostics;
pub mod values;
pub mod yaml;
