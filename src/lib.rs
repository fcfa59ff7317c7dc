//! car-conformance: load → plan → sign → send → check → report, for Tencent Cloud CAR's CreateSession.
//!
//! # The map
//!
//! Each stage is a folder; a module imports only its own stage and those listed above it, so data
//! flows one way and there is no import cycle.
//!
//! | folder | stage | what lives there |
//! |---|---|---|
//! | `sign/` | sign | TC3-HMAC-SHA256, pure: signing, verifying (the mock's too), derived keys |
//! | `mock/` | apart | the reference mock: gateway, business rules, defects; uses `sign` only |
//! | `case/` | load | the case model, templates, the catalogue, the loader and its diagnostics |
//! | `outcome.rs` | shared | the results as plain data: what `check` produces, `report` reads |
//! | `plan/` | plan | settings, target, credentials, safety settings, profile, which cases run |
//! | `redact.rs` | shared | secrets kept out of every text a run shows |
//! | `send/` | sign → send | a step becomes a signed request; client, pacing, timeouts, hostile answers |
//! | `check/` | check | one answer judged: expectations, schemas, snapshots |
//! | `report/` | report | renderers (console, JSON, JUnit, Markdown, HTML), coverage, writing |
//! | `run/` | drives | executes cases (cleanup, guard, dry run, embedded, mutants, compare) over the stages |
//! | `cli/` | edge | parses, prints, maps errors to exit codes; the only place that does |
//!
//! Where a change goes:
//! - a new check of an answer: `check/` (a variant of `outcome::FailureKind` if it is a new kind of
//!   failure), with the catalogue item in `schemas/catalogue.json`;
//! - a new case field: `case/model.rs` and `schemas/case.schema.json`, read where it acts (`send/request.rs`
//!   for what is sent, `check/` for what is expected, `plan/` for what is selected);
//! - a new report format: a file in `report/` that reads `report::RunReport`, listed in `report/bundle.rs`;
//! - a new mock behaviour: `mock/`, with a defect in `mock/defects.rs` that proves a case catches it.
#![forbid(unsafe_code)]

pub mod sign;

pub mod mock;

pub mod case;
pub mod outcome;
pub mod plan;
pub mod redact;
pub mod send;

pub mod check;
pub mod report;

pub mod run;

pub mod cli;
