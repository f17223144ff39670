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
