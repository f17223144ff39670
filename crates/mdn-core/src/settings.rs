//! Every setting a reader can change, one table per demo: its name (the
//! element's attribute, the URL parameter, the command line's flag), what
//! it means, its range and default, and the spellings it accepts.
//!
//! One policy for a bad value everywhere: [`Setting::parse`] rejects it with
//! a message that names the allowed range (the page then says so and uses
//! the default; the command line exits). The page reads the same table from
//! `www/settings.js`, which [`front_end_table`] generates (a test keeps the
//! file up to date).

use std::fmt;

use crate::data::{MAX_TOY_POINTS, MIN_TOY_POINTS, ToySet};
use crate::picture::{DEFAULT_TRAIN_SIDE, MAX_TRAIN_SIDE, MIN_SIDE};
use crate::spec::{Covariance, Encoding};

/// One setting of a demo.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setting {
    /// The attribute, URL parameter and flag (`--name`).
    pub name: &'static str,
    /// What it changes, in a sentence for a tooltip or `--help`.
    pub about: &'static str,
    /// The values it takes and its default.
    pub range: Range,
    /// Whether it changes only what is shown (a view, a sampling
    /// temperature): the model trains on. Any other setting starts a new
    /// model.
    pub display: bool,
}

/// The values a [`Setting`] takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Range {
    /// A whole number from `min` to `max`.
    Whole { min: u32, max: u32, default: u32 },
    /// A number from `min` to `max`; a slider moves in `step`s.
    Number {
        min: f64,
        max: f64,
        step: f64,
        default: f64,
    },
    /// One of `choices` (by its name or one of its aliases).
    Choice {
        choices: &'static [Choice],
        default: &'static str,
    },
}

/// What a value may look like, per kind of [`Range`], as patterns that the
/// page matches too (`www/settings.js` carries them, generated): the
/// value's text is group 1, between blanks (space, tab, CR, LF). A whole
/// number is decimal digits with an optional `+`; a number is decimal with
/// an optional sign, point and exponent (no `0x…`, `Infinity` or `NaN`,
/// which JavaScript's `Number` and Rust's `f64` read differently); a choice
/// is ASCII letters, digits and `-`, matched without regard to case.
/// Both sides then read the text with their own number parser, which
/// agree on this grammar.
pub const PATTERNS: [(&str, &str); 3] = [
    ("whole", r"^[ \t\r\n]*(\+?[0-9]+)[ \t\r\n]*$"),
    (
        "number",
        r"^[ \t\r\n]*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t\r\n]*$",
    ),
    ("choice", r"^[ \t\r\n]*([A-Za-z0-9-]+)[ \t\r\n]*$"),
];

impl Range {
    /// The name of this kind in [`PATTERNS`] and in `www/settings.js`.
    fn kind(&self) -> &'static str {
        match self {
            Range::Whole { .. } => "whole",
            Range::Number { .. } => "number",
            Range::Choice { .. } => "choice",
        }
    }

    /// The value's text in `raw` when `raw` matches this kind's pattern.
    fn text_of<'a>(&self, raw: &'a str) -> Option<&'a str> {
        let kind = self.kind();
        let (_, pattern) = PATTERNS.iter().find(|(name, _)| *name == kind)?;
        // The patterns are constants, tested to compile.
        let pattern = regex_lite::Regex::new(pattern).ok()?;
        Some(pattern.captures(raw)?.get(1)?.as_str())
    }
}

/// One value of a [`Range::Choice`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Choice {
    /// The canonical name.
    pub name: &'static str,
    /// Other accepted spellings.
    pub aliases: &'static [&'static str],
}

/// A parsed setting value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// Of a [`Range::Whole`].
    Whole(u32),
    /// Of a [`Range::Number`].
    Number(f64),
    /// The canonical name of a [`Range::Choice`]'s choice.
    Choice(&'static str),
}

/// A value a setting does not take.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name}=\"{raw}\" is not {allowed}")]
pub struct SettingError {
    /// The setting's name.
    pub name: &'static str,
    /// The value as given.
    pub raw: String,
    /// What it may be: "a whole number from 1 to 32", "isotropic,
    /// diagonal or full".
    pub allowed: String,
}

impl SettingError {
    /// The message as a command-line flag's: `--components must be between
    /// 1 and 32, not 0`.
    pub fn flag_message(&self, setting: &Setting) -> String {
        let allowed = match setting.range {
            Range::Whole { min, max, .. } => format!("between {min} and {max}"),
            Range::Number { min, max, .. } => format!("between {min} and {max}"),
            Range::Choice { .. } => format!("one of {}", setting.range),
        };
        format!("--{} must be {allowed}, not {}", setting.name, self.raw)
    }
}

impl fmt::Display for Range {
    /// What the range allows, as a phrase: "a whole number from 1 to 32",
    /// "a number from 0.05 to 2", "isotropic, diagonal or full".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Range::Whole { min, max, .. } => write!(f, "a whole number from {min} to {max}"),
            Range::Number { min, max, .. } => write!(f, "a number from {min} to {max}"),
            Range::Choice { choices, .. } => {
                let names: Vec<&str> = choices.iter().map(|c| c.name).collect();
                match names.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        write!(f, "{} or {last}", rest.join(", "))
                    }
                    _ => write!(f, "{}", names.join("")),
                }
            }
        }
    }
}

impl Setting {
    /// The value `raw` stands for (surrounding spaces ignored; choices in
    /// any case).
    ///
    /// # Errors
    /// [`SettingError`] when `raw` is not in the range.
    pub fn parse(&self, raw: &str) -> Result<Value, SettingError> {
        let value = self.range.text_of(raw).and_then(|text| match self.range {
            Range::Whole { min, max, .. } => text
                .parse::<u32>()
                .ok()
                .filter(|v| (min..=max).contains(v))
                .map(Value::Whole),
            Range::Number { min, max, .. } => text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && (min..=max).contains(v))
                .map(Value::Number),
            Range::Choice { choices, .. } => {
                let text = text.to_ascii_lowercase();
                choices
                    .iter()
                    .find(|c| c.name == text || c.aliases.contains(&text.as_str()))
                    .map(|c| Value::Choice(c.name))
            }
        });
        value.ok_or_else(|| SettingError {
            name: self.name,
            raw: raw.to_string(),
            allowed: self.range.to_string(),
        })
    }

    /// [`Setting::parse`] for a whole-number setting.
    ///
    /// # Errors
    /// [`SettingError`] when `raw` is not in the range (or the setting is
    /// not a whole number).
    pub fn whole(&self, raw: &str) -> Result<u32, SettingError> {
        match self.parse(raw)? {
            Value::Whole(v) => Ok(v),
            _ => Err(self.error(raw)),
        }
    }

    /// [`Setting::parse`] for a choice setting: the canonical name.
    ///
    /// # Errors
    /// [`SettingError`] when `raw` is not one of the choices.
    pub fn choice(&self, raw: &str) -> Result<&'static str, SettingError> {
        match self.parse(raw)? {
            Value::Choice(v) => Ok(v),
            _ => Err(self.error(raw)),
        }
    }

    /// The default of a whole-number setting (0 for another kind).
    pub fn default_whole(&self) -> u32 {
        match self.range {
            Range::Whole { default, .. } => default,
            _ => 0,
        }
    }

    /// The default as text, as a flag or an attribute would give it.
    pub fn default_text(&self) -> String {
        match self.range {
            Range::Whole { default, .. } => default.to_string(),
            Range::Number { default, .. } => default.to_string(),
            Range::Choice { default, .. } => default.to_string(),
        }
    }

    fn error(&self, raw: &str) -> SettingError {
        SettingError {
            name: self.name,
            raw: raw.to_string(),
            allowed: self.range.to_string(),
        }
    }
}

/// The painting's training size: the longer side, pixels, after area
/// downscaling (never upscaled).
pub const SIZE: Setting = Setting {
    name: "size",
    about: "The painting's training size: the picture's longer side in pixels after downscaling.",
    range: Range::Whole {
        min: MIN_SIDE,
        max: MAX_TRAIN_SIDE,
        default: DEFAULT_TRAIN_SIDE,
    },
    display: false,
};

/// The covariance of each colour Gaussian (see [`crate::spec::Covariance`]).
pub const COVARIANCE: Setting = Setting {
    name: "covariance",
    about: "The shape of each Gaussian over (R, G, B): one width for all three (isotropic), one per channel (diagonal), or a full 3 × 3 covariance.",
    range: Range::Choice {
        choices: &[
            Choice {
                name: "isotropic",
                aliases: &["iso"],
            },
            Choice {
                name: "diagonal",
                aliases: &["diag"],
            },
            Choice {
                name: "full",
                aliases: &[],
            },
        ],
        default: "diagonal",
    },
    display: false,
};

/// How the painting feeds a pixel's position to the network (see
/// [`crate::spec::Encoding`]).
pub const ENCODING: Setting = Setting {
    name: "encoding",
    about: "How the network sees a pixel's position: a learned multiresolution grid (sharp within seconds), Fourier features of (x, y), or the raw coordinates (a blur, as in the original MDN painting).",
    range: Range::Choice {
        choices: &[
            Choice {
                name: "grid",
                aliases: &[],
            },
            Choice {
                name: "fourier",
                aliases: &[],
            },
            Choice {
                name: "raw",
                aliases: &[],
            },
        ],
        default: "grid",
    },
    display: false,
};

/// Mixture components K of the painting.
pub const COMPONENTS: Setting = Setting {
    name: "components",
    about: "The number of Gaussians in each pixel's mixture.",
    range: Range::Whole {
        min: 1,
        max: 32,
        default: 8,
    },
    display: false,
};

/// The mixture temperature τ_π of the toy's samples and the painting's
/// sample view (see
/// [`crate::mixture::Mixture::sample`]).
pub const TAU_PI: Setting = Setting {
    name: "tau-pi",
    about: "Mixture temperature: the weights π are softmax(logits / τπ). Below 1 the likeliest branch dominates, above 1 the branches even out.",
    range: Range::Number {
        min: 0.05,
        max: 2.0,
        step: 0.05,
        default: 1.0,
    },
    display: true,
};

/// The width temperature τ_σ of the toy's samples and the painting's
/// sample view (see
/// [`crate::mixture::Mixture::sample`]).
pub const TAU_SIGMA: Setting = Setting {
    name: "tau-sigma",
    about: "Width temperature: every covariance is scaled by τσ. Below 1 samples hug the means, above 1 they spread.",
    range: Range::Number {
        min: 0.05,
        max: 2.0,
        step: 0.05,
        default: 1.0,
    },
    display: true,
};

/// [`COVARIANCE`] parsed into its kind.
///
/// # Errors
/// [`SettingError`] when `raw` names no kind.
pub fn covariance(raw: &str) -> Result<Covariance, SettingError> {
    let name = COVARIANCE.choice(raw)?;
    Covariance::from_name(name).ok_or_else(|| COVARIANCE.error(raw))
}

/// What the painting shows (see [`crate::paint::View`]).
pub const VIEW: Setting = Setting {
    name: "view",
    about: "What the painting shows: each pixel's mode colour, the mean of its heaviest component (mode), the mixture's average colour (mean), one colour drawn from each pixel's mixture at the temperatures τπ and τσ (sample), or how unsure the model is (uncertainty, the predictive standard deviation).",
    range: Range::Choice {
        choices: &[
            Choice {
                name: "mode",
                aliases: &[],
            },
            Choice {
                name: "mean",
                aliases: &[],
            },
            Choice {
                name: "sample",
                aliases: &[],
            },
            Choice {
                name: "uncertainty",
                aliases: &[],
            },
        ],
        default: "mode",
    },
    display: true,
};

/// [`ENCODING`] parsed into its kind.
///
/// # Errors
/// [`SettingError`] when `raw` names no encoding.
pub fn encoding(raw: &str) -> Result<Encoding, SettingError> {
    let name = ENCODING.choice(raw)?;
    Encoding::from_name(name).ok_or_else(|| ENCODING.error(raw))
}

/// The toy's data: a built-in set ([`crate::data::ToySet`]) or points the
/// reader draws.
pub const DATA: Setting = Setting {
    name: "data",
    about: "The toy's data: the inverse sinusoid (y from x, up to five answers), the forward sinusoid (one answer, where the MDN and least squares agree), Bishop's toy problem inverted, or points you draw.",
    range: Range::Choice {
        choices: &[
            Choice {
                name: "inverse",
                aliases: &[],
            },
            Choice {
                name: "forward",
                aliases: &[],
            },
            Choice {
                name: "bishop",
                aliases: &[],
            },
            Choice {
                name: DRAW,
                aliases: &["drawn", "own"],
            },
        ],
        default: "inverse",
    },
    display: false,
};

/// The [`DATA`] choice of points the reader draws.
pub const DRAW: &str = "draw";

/// Mixture components K of the toy's MDN (W1 has 24).
pub const TOY_COMPONENTS: Setting = Setting {
    name: "components",
    about: "The number of Gaussians in the mixture the MDN outputs for each x.",
    range: Range::Whole {
        min: 1,
        max: 32,
        default: 24,
    },
    display: false,
};

/// Hidden tanh units of the toy's MDN and least-squares fit (W1 has 24).
/// Not `hidden`: that is every HTML element's attribute that hides it.
pub const HIDDEN: Setting = Setting {
    name: "hidden-units",
    about: "The number of tanh units in the hidden layer of both networks.",
    range: Range::Whole {
        min: 4,
        max: 128,
        default: 24,
    },
    display: false,
};

/// The learning rate the toy's MDN starts from: Adam's, by default the
/// full-batch rate the toy trains at (`TrainConfig::full_batch`'s, as a
/// test in `toy` checks). The divergence guard
/// lowers it tenfold at every recovery, so a rate far too large shows the
/// guard at work (the article's figure 9,
/// `examples/mixture-density-networks.html`); the least-squares fit keeps
/// its own.
pub const LEARNING_RATE: Setting = Setting {
    name: "learning-rate",
    about: "The learning rate the MDN starts from (Adam's step size). Far too large a rate blows training up: the divergence guard then goes back to the last good model and lowers the rate tenfold, as often as it takes.",
    range: Range::Number {
        min: 0.00001,
        max: 1000.0,
        step: 0.0001,
        default: 0.001,
    },
    display: false,
};

/// Whether the toy shows what the MDN outputs beside its samples: the
/// density behind the data, the component panels and the conditional
/// density at a probed x (off: the 2015 demos' plot alone, and cheaper
/// snapshots).
pub const PANELS: Setting = Setting {
    name: "panels",
    about: "Show what the MDN outputs: the density p(y | x) behind the data, every component's weight, mean and width, and the density at a clicked x. Off: the samples and the least-squares fit alone.",
    range: Range::Choice {
        choices: &[
            Choice {
                name: "on",
                aliases: &["yes", "true"],
            },
            Choice {
                name: "off",
                aliases: &["no", "false"],
            },
        ],
        default: "on",
    },
    display: true,
};

/// [`DATA`] parsed: a built-in set, or `None` for the reader's own points.
///
/// # Errors
/// [`SettingError`] when `raw` names no data set.
pub fn toy_set(raw: &str) -> Result<Option<ToySet>, SettingError> {
    let name = DATA.choice(raw)?;
    if name == DRAW {
        return Ok(None);
    }
    ToySet::from_name(name)
        .map(Some)
        .ok_or_else(|| DATA.error(raw))
}

/// The painting's settings.
pub const PAINT: [Setting; 7] = [
    SIZE, ENCODING, COVARIANCE, COMPONENTS, VIEW, TAU_PI, TAU_SIGMA,
];

/// The toy's settings.
pub const TOY: [Setting; 7] = [
    DATA,
    TOY_COMPONENTS,
    HIDDEN,
    LEARNING_RATE,
    PANELS,
    TAU_PI,
    TAU_SIGMA,
];

/// Every demo kind with its settings, as the page names them.
pub const DEMOS: [(&str, &[Setting]); 2] = [("toy", &TOY), ("paint", &PAINT)];

/// `www/settings.js`: the tables as an ES module for the front-end
/// (`export const SETTINGS = {toy: [...], paint: [...]}`), so that it never
/// keeps a hand copy.
pub fn front_end_table() -> String {
    let mut out = String::from(
        "// Generated from crates/mdn-core/src/settings.rs by its tests\n\
         // (UPDATE_SETTINGS=1 cargo test --workspace --lib settings): do not edit.\n\
         // Every setting of each demo kind: name (attribute and URL parameter),\n\
         // about, allowed (the range in words, for messages), range\n\
         // ({kind: 'whole' | 'number' | 'choice', ...}) and display (true: it\n\
         // changes only what is shown, training goes on).\n\
         export const SETTINGS = {\n",
    );
    for (kind, settings) in DEMOS {
        out.push_str(&format!("  {kind}: [\n"));
        for s in settings {
            let range = match s.range {
                Range::Whole { min, max, default } => {
                    format!("{{ kind: 'whole', min: {min}, max: {max}, default: {default} }}")
                }
                Range::Number {
                    min,
                    max,
                    step,
                    default,
                } => format!(
                    "{{ kind: 'number', min: {min}, max: {max}, step: {step}, default: {default} }}"
                ),
                Range::Choice { choices, default } => {
                    let choices: Vec<String> = choices
                        .iter()
                        .map(|c| {
                            let aliases: Vec<String> =
                                c.aliases.iter().map(|a| format!("'{a}'")).collect();
                            format!(
                                "{{ name: '{}', aliases: [{}] }}",
                                c.name,
                                aliases.join(", ")
                            )
                        })
                        .collect();
                    format!(
                        "{{ kind: 'choice', choices: [{}], default: '{default}' }}",
                        choices.join(", ")
                    )
                }
            };
            out.push_str(&format!(
                "    {{\n      name: '{}',\n      about: {},\n      allowed: {},\n      range: {range},\n      display: {},\n    }},\n",
                s.name,
                js_string(s.about),
                js_string(&s.range.to_string()),
                s.display
            ));
        }
        out.push_str("  ],\n");
    }
    out.push_str("};\n");
    out.push_str(
        "\n// What a value may look like, per kind of range: its text is group 1\n\
         // (crates/mdn-core/src/settings.rs, PATTERNS).\n\
         export const PATTERNS = {\n",
    );
    for (kind, pattern) in PATTERNS {
        out.push_str(&format!("  {kind}: /{pattern}/,\n"));
    }
    out.push_str("};\n");
    out.push_str(&format!(
        "\n// The limits of what a reader may give a demo.\n\
         export const LIMITS = {{\n  toyPoints: {{ min: {MIN_TOY_POINTS}, max: {MAX_TOY_POINTS} }},\n}};\n"
    ));
    out
}

/// `text` as a JavaScript string literal.
fn js_string(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_in_range_parse_and_others_are_refused_naming_the_range() {
        assert_eq!(COMPONENTS.parse(" 8 "), Ok(Value::Whole(8)));
        let error = COMPONENTS.parse("40").unwrap_err();
        assert_eq!(
            error.to_string(),
            "components=\"40\" is not a whole number from 1 to 32"
        );
        assert_eq!(
            error.flag_message(&COMPONENTS),
            "--components must be between 1 and 32, not 40"
        );
        for bad in ["0", "2.5", "-1", "", "eight"] {
            assert!(COMPONENTS.parse(bad).is_err(), "{bad}");
        }
        assert_eq!(COVARIANCE.parse("Diag"), Ok(Value::Choice("diagonal")));
        assert_eq!(COVARIANCE.choice("iso"), Ok("isotropic"));
        for kind in Covariance::ALL {
            assert_eq!(covariance(kind.name()), Ok(kind));
        }
        assert_eq!(
            COVARIANCE.parse("banana").unwrap_err().to_string(),
            "covariance=\"banana\" is not isotropic, diagonal or full"
        );
        assert_eq!(TAU_PI.parse("0.5"), Ok(Value::Number(0.5)));
        for bad in ["0", "2.5", "NaN", "inf"] {
            assert!(TAU_PI.parse(bad).is_err(), "{bad}");
        }
        assert_eq!(SIZE.default_whole(), DEFAULT_TRAIN_SIDE);
    }

    #[test]
    fn every_default_is_in_its_range_and_the_core_s_own() {
        for (_, settings) in DEMOS {
            for s in settings {
                assert!(s.parse(&s.default_text()).is_ok(), "{}", s.name);
            }
        }
        assert_eq!(
            covariance(&COVARIANCE.default_text()),
            Ok(Covariance::default())
        );
        assert_eq!(encoding(&ENCODING.default_text()), Ok(Encoding::default()));
        for kind in Encoding::ALL {
            assert_eq!(encoding(kind.name()), Ok(kind));
        }
        assert_eq!(toy_set(&DATA.default_text()), Ok(Some(ToySet::default())));
        for set in ToySet::ALL {
            assert_eq!(toy_set(set.name()), Ok(Some(set)));
        }
        assert_eq!(toy_set("Draw"), Ok(None));
    }

    /// The values of `tests/unit/setting-values.json`, which the page's
    /// parser reads too (tests/unit/settings.test.mjs), stand for what the
    /// file says: the cases where JavaScript's `Number` and Rust's parsers
    /// disagreed ("+8", "0x1", "Infinity", ...) among them.
    #[test]
    fn the_shared_value_cases_parse_as_the_page_parses_them() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/unit/setting-values.json"
        );
        let text = std::fs::read_to_string(path).expect("tests/unit/setting-values.json");
        let file: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let cases = file["cases"].as_array().expect("cases");
        assert!(cases.len() > 20);
        for case in cases {
            let (kind, name) = (case["kind"].as_str(), case["setting"].as_str());
            let setting = DEMOS
                .iter()
                .filter(|(k, _)| Some(*k) == kind)
                .flat_map(|(_, settings)| settings.iter())
                .find(|s| Some(s.name) == name)
                .unwrap_or_else(|| panic!("no setting {case}"));
            let raw = case["raw"].as_str().expect("raw");
            let parsed = setting.parse(raw).ok();
            let expected = &case["value"];
            let agrees = match parsed {
                None => expected.is_null(),
                Some(Value::Whole(v)) => expected.as_f64() == Some(f64::from(v)),
                Some(Value::Number(v)) => expected.as_f64() == Some(v),
                Some(Value::Choice(v)) => expected.as_str() == Some(v),
            };
            assert!(
                agrees,
                "{name:?} {raw:?}: parsed {parsed:?}, the file says {expected}"
            );
        }
    }

    /// Every pattern compiles (the parser treats one that does not as no
    /// match).
    #[test]
    fn the_value_patterns_compile() {
        for (kind, pattern) in PATTERNS {
            assert!(regex_lite::Regex::new(pattern).is_ok(), "{kind}");
        }
    }

    /// `www/settings.js` is what [`front_end_table`] generates; with
    /// `UPDATE_SETTINGS=1` the test writes it instead.
    #[test]
    fn the_front_end_table_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/settings.js");
        let table = front_end_table();
        if std::env::var_os("UPDATE_SETTINGS").is_some() {
            std::fs::write(path, &table).expect("write www/settings.js");
        }
        let current = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            current == table,
            "www/settings.js is out of date: run UPDATE_SETTINGS=1 cargo test --workspace --lib settings"
        );
    }
}
