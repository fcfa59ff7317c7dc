//! The suite's own catalogue and case files as the library loads them, for the tests that read
//! the corpus rather than run it.

use car_conformance::case::catalogue::Catalogue;
use car_conformance::case::{Case, load_dir};

use super::root;

/// schemas/catalogue.json of this checkout.
pub fn catalogue() -> Catalogue {
    Catalogue::load(&root().join("schemas/catalogue.json")).expect("the catalogue loads")
}

/// Every case under cases/, each diagnostic shown when the corpus does not load.
pub fn load_cases(catalogue: &Catalogue) -> Vec<Case> {
    match load_dir(&root().join("cases"), &root().join("schemas"), catalogue) {
        Ok(cases) => cases,
        Err(error) => {
            let shown: Vec<String> = error
                .diagnostics()
                .iter()
                .map(ToString::to_string)
                .collect();
            panic!("the corpus does not load: {error}\n{}", shown.join("\n"))
        }
    }
}
