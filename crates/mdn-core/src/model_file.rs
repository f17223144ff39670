//! One file for a model being trained, so that training can go on later
//! (`mdn paint --resume`, `mdn toy --resume`) and a painting can be
//! repainted at any size (`mdn render`).
//!
//! The format: the 8 bytes `MDNMODEL`, the format version as a
//! little-endian `u32` ([`FORMAT_VERSION`]), the CRC-32 (IEEE 802.3, as
//! zlib and PNG compute it) of every byte after the header as a
//! little-endian `u32`, then one burnpack container (burn's record format,
//! `burn_pack`) holding
//!
//! - metadata (text): `kind` (`toy` or `paint`, [`ModelKind`]), the
//!   demo's choices (encoding, covariance, data set) and the painting's
//!   picture's name (`picture_name`, absent in older files);
//! - scalars: the demo's numeric settings, the parameters of the
//!   painting's encoding (`encoding.octaves`, or the grid's layout:
//!   `encoding.levels`, `.base`, `.top`, `.features`, `.hash_above`,
//!   `.table`; version 3 on), and per trainer (`mdn.`, and `baseline.` for
//!   the toy's least-squares fit) the step and epoch counts, the position
//!   in the epoch and the learning rate;
//! - tensors: per trainer the model's record (`Module::into_record`) and
//!   Adam's (`ModuleOptimizer::to_record`), each burnpack bytes of its own
//!   (`u8`), and the training data (`f32`): the painting's picture at its
//!   training size, the toy's points. A file needs nothing else: neither
//!   the photo nor the data set's seed.
//!
//! [`ToyRun`](crate::toy::ToyRun) and [`PaintRun`](crate::paint::PaintRun)
//! write and read their own fields with [`ModelWriter`] and
//! [`ModelReader`]; every way a file can be wrong is one
//! [`ModelFileError`], with a message for the person who chose the file.
//!
//! The checksum is compared before anything after the header is parsed, so
//! that a damaged file is refused whole, wherever the damage lies: burnpack
//! checks its own structure, not the bytes of the weights, and a file whose
//! weights were damaged would otherwise load and train on. Version 1 files
//! (written before 2026-12-05) have no checksum: they still load, checked
//! only as far as their structure goes.
//!
//! Version 3 (2026-12-05) keeps a painting's encoding with its model: the
//! model owns it ([`crate::encoding`]), so the file says its parameters
//! instead of leaving them to the settings of the build that reads it, and
//! the grid's table is the model's `encoding.Grid.table`. Files of
//! versions 1 and 2 still load as they did: their encoding is the one the
//! settings gave then, and their `grid.table` is read as
//! `encoding.Grid.table` ([`crate::paint::PaintRun::load`]). A toy's file
//! is the same in versions 2 and 3 but for the version.

use std::collections::BTreeMap;
use std::fmt;

use burn_pack::{Bytes, DType, Reader, Scalar, Writer};

use crate::training::TrainerState;

/// The first bytes of every model file.
pub const MAGIC: &[u8; 8] = b"MDNMODEL";

/// The format version this build writes, and the newest it reads: 3, the
/// first whose painting keeps its model's encoding (see
/// [`ENCODING_IN_MODEL`]); version 2 was the first with a checksum.
pub const FORMAT_VERSION: u32 = 3;

/// The first format version whose painting keeps its encoding with its
/// parameters (Fourier octaves, the grid's layout) and whose model record
/// holds the grid's table as the model's encoding (`encoding.Grid.table`,
/// `grid.table` before).
pub const ENCODING_IN_MODEL: u32 = 3;

/// Bytes before the burnpack container: [`MAGIC`], the version and the
/// checksum (version 1: [`MAGIC`] and the version alone).
pub const HEADER_LEN: usize = MAGIC.len() + 4 + 4;

/// The first format version with a checksum.
const CHECKSUMMED: u32 = 2;

/// Which demo a model file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// A [`crate::toy::ToyRun`].
    Toy,
    /// A [`crate::paint::PaintRun`].
    Paint,
}

impl ModelKind {
    /// The name in the file: `toy` or `paint`.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Toy => "toy",
            ModelKind::Paint => "paint",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [ModelKind::Toy, ModelKind::Paint]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

impl fmt::Display for ModelKind {
    /// As a reader says it: "toy model", "painting".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ModelKind::Toy => "toy model",
            ModelKind::Paint => "painting",
        })
    }
}

/// Why a model file cannot be loaded (or a model saved). The messages are
/// written for the person who chose the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModelFileError {
    /// The file does not begin with [`MAGIC`]: another kind of file (a
    /// picture renamed `.mdn`, say).
    #[error("this is not an MDN model file ({0})")]
    NotAModel(String),
    /// The header is right but the rest is cut short or damaged.
    #[error("the model file is damaged or cut short ({0})")]
    Damaged(String),
    /// The bytes after the header are not those the file was written with:
    /// their CRC-32 differs from the header's.
    #[error(
        "the model file is damaged: its contents do not match its checksum (CRC-32 {computed:08x}, written {written:08x})"
    )]
    Checksum {
        /// The header's checksum.
        written: u32,
        /// The checksum of the bytes read.
        computed: u32,
    },
    /// Written by a newer version of the format than this build reads.
    #[error(
        "the model file has format version {found}, but this program reads versions up to {supported}: open it with a newer version"
    )]
    NewerVersion {
        /// The file's version.
        found: u32,
        /// [`FORMAT_VERSION`].
        supported: u32,
    },
    /// A model of the other demo.
    #[error("this file holds a {found}, not a {expected}")]
    WrongKind {
        /// What was asked for.
        expected: ModelKind,
        /// What the file holds.
        found: ModelKind,
    },
    /// burn could not write the model's records.
    #[error("the model could not be saved ({0})")]
    Save(String),
}

/// What a file that is not a model file looks like, from its first bytes.
fn looks_like(bytes: &[u8]) -> String {
    let kinds: [(&[u8], &str); 6] = [
        (b"\x89PNG", "it looks like a PNG image"),
        (b"\xFF\xD8\xFF", "it looks like a JPEG image"),
        (b"GIF8", "it looks like a GIF image"),
        (b"RIFF", "it looks like a WebP image"),
        (b"BM", "it looks like a BMP image"),
        (b"PK\x03\x04", "it looks like a ZIP archive"),
    ];
    if bytes.is_empty() {
        return "the file is empty".into();
    }
    kinds
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map_or_else(
            || "it does not begin with MDNMODEL".into(),
            |(_, what)| (*what).into(),
        )
}

/// Builds a model file: the demo's fields, then [`ModelWriter::finish`].
pub struct ModelWriter {
    tensors: Vec<burn_pack::Tensor>,
    metadata: Vec<(String, String)>,
    scalars: Vec<(String, Scalar)>,
}

impl ModelWriter {
    /// A file of `kind`.
    pub fn new(kind: ModelKind) -> Self {
        Self {
            tensors: vec![],
            metadata: vec![("kind".into(), kind.name().into())],
            scalars: vec![],
        }
    }

    /// A text field.
    pub fn text(&mut self, key: &str, value: &str) -> &mut Self {
        self.metadata.push((key.into(), value.into()));
        self
    }

    /// A count (a whole number).
    pub fn count(&mut self, key: &str, value: usize) -> &mut Self {
        self.whole(key, value as u64)
    }

    /// A whole-number field (a seed).
    pub fn whole(&mut self, key: &str, value: u64) -> &mut Self {
        self.scalars.push((key.into(), Scalar::from(value)));
        self
    }

    /// A number field (kept exactly).
    pub fn number(&mut self, key: &str, value: f64) -> &mut Self {
        self.scalars.push((key.into(), Scalar::from(value)));
        self
    }

    /// A yes/no field.
    pub fn flag(&mut self, key: &str, value: bool) -> &mut Self {
        self.scalars.push((key.into(), Scalar::from(value)));
        self
    }

    /// An `f32` array of `shape` (row-major).
    pub fn floats(&mut self, key: &str, values: &[f32], shape: Vec<usize>) -> &mut Self {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.tensor(key, DType::F32, shape, bytes)
    }

    /// Raw bytes (a nested record).
    pub fn bytes(&mut self, key: &str, bytes: Vec<u8>) -> &mut Self {
        let len = bytes.len();
        self.tensor(key, DType::U8, vec![len], bytes)
    }

    fn tensor(&mut self, key: &str, dtype: DType, shape: Vec<usize>, bytes: Vec<u8>) -> &mut Self {
        self.tensors.push(burn_pack::Tensor::new(
            key.into(),
            dtype,
            shape,
            None,
            Bytes::from_bytes_vec(bytes),
        ));
        self
    }

    /// A trainer's state under `prefix` (see [`TrainerState`]).
    pub fn trainer(&mut self, prefix: &str, state: TrainerState) -> &mut Self {
        self.count(&format!("{prefix}.steps"), state.steps)
            .count(&format!("{prefix}.epochs"), state.epochs)
            .count(&format!("{prefix}.cursor"), state.cursor)
            .number(&format!("{prefix}.learning_rate"), state.learning_rate)
            .bytes(&format!("{prefix}.model"), state.model)
            .bytes(&format!("{prefix}.optimizer"), state.optimizer)
    }

    /// The file's bytes.
    ///
    /// # Errors
    /// [`ModelFileError::Save`] when burn cannot write the container.
    pub fn finish(self) -> Result<Vec<u8>, ModelFileError> {
        let mut writer = Writer::new(self.tensors);
        for (key, value) in &self.metadata {
            writer = writer.with_metadata(key, value);
        }
        for (key, value) in self.scalars {
            writer = writer.with_scalar(&key, value);
        }
        let pack = writer
            .into_bytes()
            .map_err(|e| ModelFileError::Save(e.to_string()))?;
        let mut file = Vec::with_capacity(HEADER_LEN + pack.len());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        file.extend_from_slice(&crc32fast::hash(&pack).to_le_bytes());
        file.extend_from_slice(&pack);
        Ok(file)
    }
}

/// A model file being read: its fields by key. A missing or ill-typed field
/// is [`ModelFileError::Damaged`].
pub struct ModelReader {
    version: u32,
    metadata: BTreeMap<String, String>,
    scalars: BTreeMap<String, Scalar>,
    tensors: BTreeMap<String, (DType, Vec<usize>, Vec<u8>)>,
}

fn damaged(what: impl fmt::Display) -> ModelFileError {
    ModelFileError::Damaged(what.to_string())
}

/// The little-endian `u32` at `at`, a field of the header.
fn le_u32(bytes: &[u8], at: usize) -> Result<u32, ModelFileError> {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| damaged(format!("{} bytes, shorter than the header", bytes.len())))
}

/// The kind of model in `bytes`, after checking the header, the checksum
/// and the container.
///
/// # Errors
/// Every [`ModelFileError`] but `WrongKind` and `Save`.
pub fn kind_of(bytes: &[u8]) -> Result<ModelKind, ModelFileError> {
    let (_, kind) = ModelReader::parse(bytes)?;
    Ok(kind)
}

impl ModelReader {
    /// Reads `bytes` as a model file of `expected` kind.
    ///
    /// # Errors
    /// [`ModelFileError`]: not a model file, damaged or cut short (or its
    /// checksum differs), a newer format version, or a model of the other
    /// kind.
    pub fn open(bytes: &[u8], expected: ModelKind) -> Result<Self, ModelFileError> {
        let (reader, found) = Self::parse(bytes)?;
        if found != expected {
            return Err(ModelFileError::WrongKind { expected, found });
        }
        Ok(reader)
    }

    fn parse(bytes: &[u8]) -> Result<(Self, ModelKind), ModelFileError> {
        let head = &bytes[..bytes.len().min(MAGIC.len())];
        if !MAGIC.starts_with(head) || head.is_empty() {
            return Err(ModelFileError::NotAModel(looks_like(bytes)));
        }
        let version = le_u32(bytes, MAGIC.len())?;
        if version > FORMAT_VERSION {
            return Err(ModelFileError::NewerVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if version == 0 {
            return Err(damaged("format version 0"));
        }
        let pack = if version >= CHECKSUMMED {
            let written = le_u32(bytes, MAGIC.len() + 4)?;
            let pack = &bytes[HEADER_LEN..];
            let computed = crc32fast::hash(pack);
            if computed != written {
                return Err(ModelFileError::Checksum { written, computed });
            }
            pack
        } else {
            &bytes[MAGIC.len() + 4..]
        };
        let pack = Bytes::from_bytes_vec(pack.to_vec());
        let reader = Reader::from_bytes(pack).map_err(damaged)?;
        let metadata = reader.metadata().clone();
        let scalars = reader.scalars().clone();
        let mut tensors = BTreeMap::new();
        for tensor in reader.into_tensors().map_err(damaged)? {
            let (name, dtype, shape, _, data) = tensor.into_parts().map_err(damaged)?;
            tensors.insert(name, (dtype, shape.to_vec(), data.to_vec()));
        }
        let file = Self {
            version,
            metadata,
            scalars,
            tensors,
        };
        let kind = file.text("kind")?;
        let kind = ModelKind::from_name(kind)
            .ok_or_else(|| damaged(format!("unknown model kind \"{kind}\"")))?;
        Ok((file, kind))
    }

    /// The file's format version (1 to [`FORMAT_VERSION`]).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// A text field.
    ///
    /// # Errors
    /// [`ModelFileError::Damaged`] when it is missing.
    pub fn text(&self, key: &str) -> Result<&str, ModelFileError> {
        self.metadata
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| damaged(format!("no {key}")))
    }

    fn scalar<T: TryFrom<Scalar>>(&self, key: &str) -> Result<T, ModelFileError> {
        let value = self
            .scalars
            .get(key)
            .ok_or_else(|| damaged(format!("no {key}")))?;
        T::try_from(*value).map_err(|_| damaged(format!("{key} is {value:?}")))
    }

    /// A count.
    ///
    /// # Errors
    /// [`ModelFileError::Damaged`] when it is missing or not a whole number
    /// (that fits a `usize`).
    pub fn count(&self, key: &str) -> Result<usize, ModelFileError> {
        self.scalar(key)
    }

    /// A count from 1 to `max` (a model's size, which a damaged file could
    /// make absurd).
    ///
    /// # Errors
    /// [`ModelFileError::Damaged`] when it is missing or out of that range.
    pub fn count_upto(&self, key: &str, max: usize) -> Result<usize, ModelFileError> {
        let v = self.count(key)?;
        if (1..=max).contains(&v) {
            Ok(v)
        } else {
            Err(damaged(format!("{key} = {v}")))
        }
    }

    /// A whole-number field (a seed).
    ///
    /// # Errors
    /// [`ModelFileError::Damaged`] when it is missing or not a whole number.
    pub fn whole(&self, key: &str) -> Result<u64, ModelFileError> {
        self.scalar(key)
    }

    /// A number field.
    ///
    /// # Errors
    /// [`ModelFileError::Damaged`] when it is missing or not a number.
    pub fn number(&self, key: &str) -> Result<f64, ModelFileError> {
        self.scalar(key)
    }

    /// A yes/no field.
    ///
    /// # Errors
    /// [`ModelFileError::Damaged`] when it is missing or not yes/no.
    pub fn flag(&self, key: &str) -> Result<bool, ModelFileError> {
        match self.scalars.get(key) {
            Some(Scalar::Bool(value)) => Ok(*value),
            Some(other) => Err(damaged(format!("{key} is {other:?}"))),
            None => Err(damaged(format!("no {key}"))),
        }
    }

    /// An `f32` array and its shape.
    ///
    /// # Errors
    /// [`ModelFileError::Damaged`] when it is missing or not `f32`s.
    pub fn floats(&self, key: &str) -> Result<(Vec<f32>, Vec<usize>), ModelFileError> {
        match self.tensors.get(key) {
            Some((DType::F32, shape, bytes)) => Ok((
                bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
                shape.clone(),
            )),
            Some((dtype, ..)) => Err(damaged(format!("{key} holds {dtype:?}, not f32"))),
            None => Err(damaged(format!("no {key}"))),
        }
    }

    /// Raw bytes.
    ///
    /// # Errors
    /// [`ModelFileError::Damaged`] when they are missing.
    pub fn bytes(&self, key: &str) -> Result<Vec<u8>, ModelFileError> {
        match self.tensors.get(key) {
            Some((DType::U8, _, bytes)) => Ok(bytes.clone()),
            Some((dtype, ..)) => Err(damaged(format!("{key} holds {dtype:?}, not bytes"))),
            None => Err(damaged(format!("no {key}"))),
        }
    }

    /// A trainer's state written under `prefix` by [`ModelWriter::trainer`].
    ///
    /// # Errors
    /// [`ModelFileError::Damaged`] when a field is missing.
    pub fn trainer(&self, prefix: &str) -> Result<TrainerState, ModelFileError> {
        Ok(TrainerState {
            model: self.bytes(&format!("{prefix}.model"))?,
            optimizer: self.bytes(&format!("{prefix}.optimizer"))?,
            steps: self.count(&format!("{prefix}.steps"))?,
            epochs: self.count(&format!("{prefix}.epochs"))?,
            cursor: self.count(&format!("{prefix}.cursor"))?,
            learning_rate: self.number(&format!("{prefix}.learning_rate"))?,
        })
    }

    /// Whether a field of any type is present under `key`.
    pub fn has(&self, key: &str) -> bool {
        self.metadata.contains_key(key)
            || self.scalars.contains_key(key)
            || self.tensors.contains_key(key)
    }
}
