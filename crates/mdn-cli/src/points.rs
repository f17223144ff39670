//! `mdn toy --data FILE.csv`: a reader's x, y points from a text file.
//!
//! Two columns, x then y, one point a line; an optional header line (a
//! first line none of whose cells is a number); cells separated by commas,
//! semicolons, tabs or spaces (whichever the file uses: semicolons first,
//! then tabs, then commas, else runs of spaces; with semicolons a decimal
//! comma is read as a point); blank lines and lines starting with `#` are
//! skipped. The `csv` crate does the splitting and quoting.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use csv::{ReaderBuilder, Trim};
use mdn_core::data::ToyData;

/// The points of the file at `path`.
///
/// # Errors
/// The file cannot be read; a line without exactly two cells, a cell that
/// is not a finite number (each with its line number); fewer than
/// [`mdn_core::data::MIN_TOY_POINTS`] or more than
/// [`mdn_core::data::MAX_TOY_POINTS`] points.
pub fn read(path: &Path) -> anyhow::Result<ToyData> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&bytes).map_err(|e| anyhow!("{}: {e:#}", path.display()))
}

/// The points of a file's contents (see the module's documentation).
///
/// # Errors
/// As [`read`], without the file name.
fn parse(bytes: &[u8]) -> anyhow::Result<ToyData> {
    let delimiter = [b';', b'\t', b',']
        .into_iter()
        .find(|d| content(bytes).any(|line| line.contains(d)));
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(Trim::All)
        .comment(Some(b'#'))
        .delimiter(delimiter.unwrap_or(b' '))
        .from_reader(bytes);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut past_first = false;
    for (index, record) in reader.byte_records().enumerate() {
        // Reading from memory, with flexible records, fails on nothing.
        let record = record.map_err(|e| anyhow!("{e}"))?;
        let line = record.position().map_or(index as u64 + 1, |at| at.line());
        // Runs of spaces split into empty cells between the numbers.
        let cells: Vec<String> = record
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        if cells.is_empty() {
            continue; // a line of spaces
        }
        let numbers: Vec<Option<f32>> = cells
            .iter()
            .map(|c| number(c, delimiter == Some(b';')))
            .collect();
        let first = !std::mem::replace(&mut past_first, true);
        if first && numbers.iter().all(Option::is_none) {
            continue; // the header
        }
        match cells.len() {
            2 => {}
            1 => bail!("line {line} has one value, not two (x and y)"),
            n => bail!("line {line} has {n} values, not two (x and y)"),
        }
        for (cell, value) in cells.iter().zip(&numbers) {
            match value {
                None => bail!("line {line}: \"{cell}\" is not a number"),
                Some(v) if !v.is_finite() => bail!("line {line}: {cell} is not a finite number"),
                Some(_) => {}
            }
        }
        x.push(numbers[0].unwrap_or_default());
        y.push(numbers[1].unwrap_or_default());
    }
    Ok(ToyData::from_points(x, y)?)
}

/// The lines of `bytes` that are not comments.
fn content(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.starts_with(b"#"))
}

/// The number `cell` spells (with `decimal_comma`, "1,5" too).
fn number(cell: &str, decimal_comma: bool) -> Option<f32> {
    if decimal_comma {
        cell.replace(',', ".").parse().ok()
    } else {
        cell.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(text: &str) -> (Vec<f32>, Vec<f32>) {
        let data = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e:#}"));
        (data.x, data.y)
    }

    fn error(text: &str) -> String {
        format!("{:#}", parse(text.as_bytes()).expect_err(text))
    }

    #[test]
    fn every_separator_and_an_optional_header_read_the_same_points() {
        let expected = (
            vec![0.0, 1.0, 2.5, -3.0, 4e-1],
            vec![1.0, -2.0, 3.25, 0.5, 6.0],
        );
        for text in [
            "0,1\n1,-2\n2.5,3.25\n-3,0.5\n4e-1,6\n",
            "x,y\n0, 1\n1 ,-2\n2.5,3.25\n\n-3,0.5\n4e-1,6",
            "\"x\";\"y\"\r\n0;1\r\n1;-2\r\n2,5;3,25\r\n-3;0,5\r\n0,4;6\r\n",
            "x\ty\n0\t1\n1\t-2\n2.5\t3.25\n-3\t0.5\n4e-1\t6\n",
            "# my points\n  x   y\n0 1\n1   -2\n 2.5 3.25\n-3 0.5\n4e-1 6\n",
        ] {
            assert_eq!(points(text), expected, "{text:?}");
        }
    }

    #[test]
    fn bad_cells_name_their_line_and_bad_counts_say_so() {
        let five = "1,1\n2,2\n3,3\n4,4\n";
        assert_eq!(
            error(&format!("x,y\n{five}5,abc\n")),
            "line 6: \"abc\" is not a number"
        );
        assert_eq!(
            error(&format!("{five}NaN,5\n")),
            "line 5: NaN is not a finite number"
        );
        assert_eq!(
            error(&format!("{five}5,5,5\n")),
            "line 5 has 3 values, not two (x and y)"
        );
        assert_eq!(error("1 2 3\n"), "line 1 has 3 values, not two (x and y)");
        assert_eq!(error("1,abc\n2,2"), "line 1: \"abc\" is not a number");
        assert_eq!(
            error("x,y\n1,1\n2,2\n"),
            "too few points to train on: 2, at least 5 needed"
        );
        assert_eq!(
            error(""),
            "too few points to train on: 0, at least 5 needed"
        );
        let many: String = (0..5001).map(|i| format!("{i},{i}\n")).collect();
        assert_eq!(error(&many), "too many points: 5001, at most 5000 allowed");
    }
}
