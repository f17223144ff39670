//! Reading results back from the device to the host, without blocking:
//! one transaction, awaited (the only way on WebGPU in a browser).

use burn::tensor::Transaction;
use burn::tensor::{Tensor, TensorData};

/// A device readback failed (the GPU device was lost, or a kernel failed).
#[derive(Debug, thiserror::Error)]
#[error("reading results back from the device failed: {0}")]
pub struct ReadbackError(pub String);

/// Reads tensors back in one transaction, each as row-major `f32`s
/// (counted by [`crate::counts::readbacks`]).
///
/// # Errors
/// [`ReadbackError`] when the device fails.
pub async fn read_f32<const D: usize>(
    tensors: Vec<Tensor<D>>,
) -> Result<Vec<Vec<f32>>, ReadbackError> {
    crate::counts::count_readback();
    let transaction = tensors
        .into_iter()
        .fold(Transaction::default(), |t, tensor| t.register(tensor));
    let data = transaction
        .execute_async()
        .await
        .map_err(|e| ReadbackError(format!("{e:?}")))?;
    data.into_iter().map(to_f32).collect()
}

fn to_f32(data: TensorData) -> Result<Vec<f32>, ReadbackError> {
    data.try_into_vec_as::<f32>()
        .map_err(|e| ReadbackError(format!("{e:?}")))
}

/// Tensors to read back in one transaction, each under a name: what a
/// readback holds is said where it is queued, and taken out by the same
/// name ([`Read::take`]), not by its position in a list.
#[derive(Default)]
pub struct Reads {
    entries: Vec<(&'static str, Tensor<1>)>,
}

impl Reads {
    /// Adds `tensor` (flattened) under `name`.
    pub fn push<const D: usize>(&mut self, name: &'static str, tensor: Tensor<D>) {
        let count: usize = tensor.dims().iter().product();
        self.entries.push((name, tensor.reshape([count])));
    }

    /// [`Reads::push`], by value.
    pub fn with<const D: usize>(mut self, name: &'static str, tensor: Tensor<D>) -> Self {
        self.push(name, tensor);
        self
    }

    /// Reads every tensor back in one transaction ([`read_f32`]).
    ///
    /// # Errors
    /// [`ReadbackError`] when the device fails.
    pub async fn read(self) -> Result<Read, ReadbackError> {
        let (names, tensors): (Vec<_>, Vec<_>) = self.entries.into_iter().unzip();
        let values = read_f32(tensors).await?;
        Ok(Read {
            entries: names.into_iter().zip(values).collect(),
        })
    }
}

/// Values read back by [`Reads::read`], by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Read {
    entries: Vec<(&'static str, Vec<f32>)>,
}

impl Read {
    /// The values read under `name`, taken out.
    ///
    /// # Errors
    /// [`ReadbackError`] when nothing (left) was read under `name`: the
    /// code that queued the reads and the code that takes them disagree.
    pub fn take(&mut self, name: &str) -> Result<Vec<f32>, ReadbackError> {
        let at = self
            .entries
            .iter()
            .position(|(n, _)| *n == name)
            .ok_or_else(|| ReadbackError(format!("nothing was read back as {name:?}")))?;
        Ok(self.entries.remove(at).1)
    }

    /// The one value read under `name`.
    ///
    /// # Errors
    /// [`ReadbackError`] when nothing was read under `name`, or not one
    /// value.
    pub fn scalar(&self, name: &str) -> Result<f32, ReadbackError> {
        match self.entries.iter().find(|(n, _)| *n == name) {
            Some((_, values)) if values.len() == 1 => Ok(values[0]),
            Some((_, values)) => Err(ReadbackError(format!(
                "{name:?} read back {} values, not one",
                values.len()
            ))),
            None => Err(ReadbackError(format!("nothing was read back as {name:?}"))),
        }
    }

    /// Whether every value read is finite.
    pub fn all_finite(&self) -> bool {
        self.entries
            .iter()
            .all(|(_, values)| values.iter().all(|v| v.is_finite()))
    }
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use burn::tensor::Device;

    use super::*;

    #[test]
    fn values_are_taken_by_name_and_a_missing_or_misshapen_one_is_an_error() {
        let device = Device::flex();
        let loss = Tensor::<1>::from_data(TensorData::new(vec![2.5_f32], [1]), &device);
        let rgb = Tensor::<2>::from_data(
            TensorData::new(vec![1.0_f32, 2.0, 3.0, 4.0], [2, 2]),
            &device,
        );
        let reads = Reads::default().with("loss", loss).with("rgb", rgb);
        let mut read = pollster::block_on(reads.read()).expect("flex reads back");
        assert_eq!(read.scalar("loss").ok(), Some(2.5));
        assert!(read.scalar("rgb").is_err(), "four values are not one");
        assert!(read.all_finite());
        assert_eq!(read.take("rgb").ok(), Some(vec![1.0, 2.0, 3.0, 4.0]));
        assert!(read.take("rgb").is_err(), "taken once");
        let missing = read.take("samples").map_err(|e| e.to_string());
        assert_eq!(
            missing,
            Err(
                "reading results back from the device failed: nothing was read back as \"samples\""
                    .into()
            )
        );
    }
}
