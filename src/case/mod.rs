//! load (the `case` folder): the first stage — the declarative case format (model, templates), and the loader
//! that validates case files against the schema and the catalogue and reports every problem.

pub mod catalogue;
pub mod diagnostic;
pub mod load;
pub mod locate;
pub mod model;
pub mod observations;
pub mod observations_citations;
pub mod suite;
pub mod template;
pub mod validate;

pub use diagnostic::{Diagnostic, LoadError, did_you_mean};
pub use load::{Source, load_dir, load_sources};
pub use model::{
    AuthorizationKnob, Case, CaseFile, CaseSpec, Count, Expect, ExpectedOutcome, Level, SignKnobs,
    SignVersion, Step, TokenKnob, V1Method,
};
