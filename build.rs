//! Rebuilds the binary when a file is added to or removed from the suite it embeds
//! (src/case/suite.rs): the compiler tracks the files it includes, not the directories' listings.

fn main() {
    for dir in ["cases", "schemas", "snapshots"] {
        println!("cargo::rerun-if-changed={dir}");
    }
}
