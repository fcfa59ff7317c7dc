//! report: `run --list` — the selected cases without running them: a line each (`[level] id`,
//! and why it would be skipped), ids only with `--format terse`, or with `--format json` one
//! JSON object per line: `{"id", "level", "title", "covers", "skip", "ignore"}` (the README's
//! "Listing the cases" documents it). A reader that goes away early (`| head`) ends the list
//! quietly.

use std::io::Write;

use serde_json::json;

use super::console::Format;
use crate::plan::Planned;
use crate::redact::for_terminal;

/// One case as `--list --format json` prints it.
pub fn entry(planned: &Planned) -> serde_json::Value {
    let spec = &planned.case.spec;
    json!({
        "id": planned.case.id,
        "level": spec.level.as_str(),
        "title": spec.title,
        "covers": spec.covers,
        "skip": planned.skip,
        "ignore": spec.ignore,
    })
}

/// Writes the list to `out`; stops at the first write that fails (a closed pipe).
pub fn write(out: &mut dyn Write, format: Format, selected: &[&Planned]) -> std::io::Result<()> {
    for planned in selected {
        let id = for_terminal(&planned.case.id);
        match format {
            Format::Json => writeln!(out, "{}", entry(planned))?,
            Format::Terse => writeln!(out, "{id}")?,
            Format::Pretty => {
                let level = format!("[{}]", planned.case.spec.level.as_str());
                let why = match (&planned.skip, &planned.case.spec.ignore) {
                    (Some(skip), _) => format!("  (skipped: {})", for_terminal(skip)),
                    (None, Some(ignore)) => format!("  (ignore: {})", for_terminal(ignore)),
                    (None, None) => String::new(),
                };
                writeln!(out, "{level:<8} {id}{why}")?;
            }
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Case, Level};

    fn planned(id: &str, level: Level, skip: Option<&str>) -> Planned {
        let spec = serde_json::from_value(json!({
            "name": id.rsplit('/').next().unwrap(),
            "title": "a title",
            "level": level.as_str(),
            "source": "a page",
            "covers": ["rule.lock.required"],
            "steps": [{"action": "DescribeSessions", "params": {}}]
        }))
        .unwrap();
        Planned {
            case: Case {
                id: id.into(),
                file: "cases/g.json".into(),
                pointer: "/cases/0".into(),
                spec,
                mock: None,
            },
            skip: skip.map(str::to_owned),
            ordinal: 0,
        }
    }

    #[test]
    fn each_format_lists_every_selected_case() {
        let a = planned("g/a", Level::Must, None);
        let b = planned("g/b", Level::Info, Some("mock-only: needs its own mock"));
        let listed = |format| {
            let mut out = Vec::new();
            write(&mut out, format, &[&a, &b]).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            listed(Format::Pretty),
            "[must]   g/a\n[info]   g/b  (skipped: mock-only: needs its own mock)\n"
        );
        assert_eq!(listed(Format::Terse), "g/a\ng/b\n");
        let objects: Vec<serde_json::Value> = listed(Format::Json)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            objects[1],
            json!({
                "id": "g/b",
                "level": "info",
                "title": "a title",
                "covers": ["rule.lock.required"],
                "skip": "mock-only: needs its own mock",
                "ignore": null,
            })
        );
        assert_eq!(objects[0]["skip"], serde_json::Value::Null);
    }

    #[test]
    fn a_closed_reader_ends_the_list_with_an_error_not_a_panic() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let a = planned("g/a", Level::Must, None);
        assert!(write(&mut Closed, Format::Pretty, &[&a]).is_err());
    }
}
