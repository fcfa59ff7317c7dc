//! plan: durations as people write them — parsed from flags and profiles (`500ms`, `6s`,
//! `1m30s`, `1h`, or bare seconds) and shown the same way in headers and messages (`250ms`,
//! `1.5s`, `1m30s`), as cargo, Go and humantime write them.

use std::time::Duration;

/// A duration as people write it: `300ms`, `6s`, `1.5s`, `1m30s`, `2m`, `1h5m`.
pub fn human(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    if ms < 60_000 {
        return if ms.is_multiple_of(1000) {
            format!("{}s", ms / 1000)
        } else {
            format!("{:.1}s", duration.as_secs_f64())
        };
    }
    // From a minute on, whole seconds: `1m30s`, not `1m30.25s`.
    let secs = duration.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (value, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if value > 0 {
            out.push_str(&format!("{value}{unit}"));
        }
    }
    out
}

/// Why a text is not a duration; each carries the text as it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{text}` is not a duration (e.g. 500ms, 6s, 1m30s)")]
    NotADuration { text: String },
    #[error("`{text}`: a number without its unit (e.g. 500ms, 6s, 1m30s)")]
    MissingUnit { text: String },
    #[error("`{text}`: unknown unit `{unit}` (use ms, s, m or h)")]
    UnknownUnit { text: String, unit: String },
    #[error("`{text}` must be a positive duration")]
    NotPositive { text: String },
}

/// Parses `500ms`, `6s`, `1.5s`, `2m`, `1m30s`, `1h 5m`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let not_a_duration = || DurationError::NotADuration {
        text: text.to_owned(),
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(not_a_duration());
    }
    let mut seconds = 0.0;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(split);
        let value: f64 = number.parse().map_err(|_| not_a_duration())?;
        let after = after.trim_start();
        let unit_end = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        let scale = match unit {
            // A bare number is seconds, and only alone.
            "" if seconds == 0.0 && after.trim().is_empty() => 1.0,
            "s" | "sec" | "secs" => 1.0,
            "ms" => 0.001,
            "m" | "min" | "mins" => 60.0,
            "h" => 3600.0,
            "" => {
                return Err(DurationError::MissingUnit {
                    text: text.to_owned(),
                });
            }
            other => {
                return Err(DurationError::UnknownUnit {
                    text: text.to_owned(),
                    unit: other.to_owned(),
                });
            }
        };
        seconds += value * scale;
        rest = after.trim_start();
    }
    if !(seconds.is_finite() && seconds > 0.0 && seconds < 1e9) {
        return Err(DurationError::NotPositive {
            text: text.to_owned(),
        });
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print_as_people_write_them() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("6"), Ok(Duration::from_secs(6)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h 5m"), Ok(Duration::from_secs(3900)));
        assert_eq!(parse_duration("2s250ms"), Ok(Duration::from_millis(2250)));
        let text = |t: &str| t.to_owned();
        assert_eq!(
            parse_duration("0s"),
            Err(DurationError::NotPositive { text: text("0s") })
        );
        assert_eq!(
            parse_duration("5 parsecs"),
            Err(DurationError::UnknownUnit {
                text: text("5 parsecs"),
                unit: text("parsecs")
            })
        );
        assert_eq!(
            parse_duration("soon"),
            Err(DurationError::NotADuration { text: text("soon") })
        );
        assert_eq!(
            parse_duration("1m30"),
            Err(DurationError::MissingUnit { text: text("1m30") }),
            "a number after a unit needs its own"
        );
        assert_eq!(
            parse_duration(""),
            Err(DurationError::NotADuration { text: text("") })
        );
        assert_eq!(
            parse_duration("5 parsecs").unwrap_err().to_string(),
            "`5 parsecs`: unknown unit `parsecs` (use ms, s, m or h)"
        );
        assert_eq!(human(Duration::from_millis(300)), "300ms");
        assert_eq!(human(Duration::from_secs(6)), "6s");
        assert_eq!(human(Duration::from_millis(5500)), "5.5s");
        assert_eq!(human(Duration::from_secs(90)), "1m30s");
        assert_eq!(human(Duration::from_secs(600)), "10m");
        assert_eq!(human(Duration::from_secs(3900)), "1h5m");
    }

    #[test]
    fn what_is_printed_parses_back() {
        for ms in [1, 250, 1000, 1500, 59_000, 90_000, 600_000, 3_723_000] {
            let d = Duration::from_millis(ms);
            assert_eq!(parse_duration(&human(d)), Ok(d), "{}", human(d));
        }
    }
}
