//! [`Handler`]: plain async functions as transaction functions.
//!
//! `async fn f(ctx: Context, a: A, b: B, ...) -> Result<T, E>` is a `Handler<(A, B, ...)>` for up
//! to ten parameters when every parameter is `DeserializeOwned + JsonSchema`, `T` is
//! `Serialize + JsonSchema` and `E: Into<ContractError>`. Closures work too.

use std::any::TypeId;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use schemars::{JsonSchema, SchemaGenerator};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::args::decode_arg;
use super::payload::encode_return;
use super::{Context, ContractError};

/// A transaction function with parameters `Args` (a tuple of the parameter types after the
/// [`Context`]).
///
/// Implemented for every `Fn(Context, A1, ..., An) -> impl Future<Output = R>` with `n ≤ 10`,
/// `Ai: DeserializeOwned + JsonSchema` and `R: TxResult` (a `Result<T, E>`); you never implement
/// it yourself.
pub trait Handler<Args>: Send + Sync + 'static + Sized {
    /// The number of parameters after the context.
    const ARITY: usize;

    /// The type-erased function the router calls.
    #[doc(hidden)]
    fn into_function(self) -> TxFunction;
}

/// What a transaction function returns: `Result<T, E>` with `T: Serialize + JsonSchema` (the
/// payload, see [`crate::contract`] for the encoding) and `E: Into<ContractError>`.
pub trait TxResult: Send + 'static {
    /// The payload, or the error.
    #[doc(hidden)]
    fn into_payload(self) -> Result<Bytes, ContractError>;

    /// The JSON schema of the success value (`None` for `()`).
    #[doc(hidden)]
    fn return_schema(generator: &mut SchemaGenerator) -> Option<Value>;
}

impl<T, E> TxResult for Result<T, E>
where
    T: Serialize + JsonSchema + Send + 'static,
    E: Into<ContractError> + Send + 'static,
{
    fn into_payload(self) -> Result<Bytes, ContractError> {
        let value = self.map_err(Into::into)?;
        encode_return(&value)
            .map_err(|e| ContractError::new(format!("cannot encode the return value: {e}")))
    }

    fn return_schema(generator: &mut SchemaGenerator) -> Option<Value> {
        if TypeId::of::<T>() == TypeId::of::<()>() {
            return None;
        }
        Some(generator.subschema_for::<T>().to_value())
    }
}

/// An argument that could not be decoded.
pub(crate) struct ArgError {
    /// Which parameter (0-based).
    pub(crate) index: usize,
    pub(crate) error: serde_json::Error,
}

/// The future of one call.
pub(crate) type CallFuture = BoxFuture<'static, Result<Bytes, ContractError>>;

/// Decodes the arguments and starts the function.
pub(crate) type CallFn = dyn Fn(Context, &[Bytes]) -> Result<CallFuture, ArgError> + Send + Sync;

/// One parameter's type, for metadata and error messages.
pub(crate) struct ParamType {
    pub(crate) type_name: &'static str,
    pub(crate) schema: Value,
}

impl ParamType {
    fn of<T: JsonSchema>(generator: &mut SchemaGenerator) -> ParamType {
        ParamType {
            type_name: std::any::type_name::<T>(),
            schema: generator.subschema_for::<T>().to_value(),
        }
    }
}

/// A type-erased transaction function (made by [`Handler`]).
#[doc(hidden)]
#[derive(Clone)]
pub struct TxFunction {
    pub(crate) call: Arc<CallFn>,
    pub(crate) params: fn(&mut SchemaGenerator) -> Vec<ParamType>,
    pub(crate) returns: fn(&mut SchemaGenerator) -> Option<Value>,
}

fn decode_at<T: DeserializeOwned>(args: &[Bytes], index: usize) -> Result<T, ArgError> {
    let raw = args.get(index).map(|b| &b[..]).ok_or_else(|| ArgError {
        index,
        error: <serde_json::Error as serde::de::Error>::custom("the argument is missing"),
    })?;
    decode_arg(raw).map_err(|error| ArgError { index, error })
}

macro_rules! impl_handler {
    ($arity:expr; $($T:ident $i:tt),*) => {
        impl<F, Fut, R, $($T,)*> Handler<($($T,)*)> for F
        where
            F: Fn(Context, $($T,)*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: TxResult,
            $($T: DeserializeOwned + JsonSchema + Send + 'static,)*
        {
            const ARITY: usize = $arity;

            #[allow(unused_variables, clippy::unused_unit)]
            fn into_function(self) -> TxFunction {
                let f = Arc::new(self);
                TxFunction {
                    call: Arc::new(move |ctx: Context, args: &[Bytes]| {
                        let decoded = ($(decode_at::<$T>(args, $i)?,)*);
                        let fut = f(ctx, $(decoded.$i,)*);
                        let call: CallFuture = Box::pin(async move { fut.await.into_payload() });
                        Ok(call)
                    }),
                    params: |generator| vec![$(ParamType::of::<$T>(generator),)*],
                    returns: R::return_schema,
                }
            }
        }
    };
}

impl_handler!(0;);
impl_handler!(1; T0 0);
impl_handler!(2; T0 0, T1 1);
impl_handler!(3; T0 0, T1 1, T2 2);
impl_handler!(4; T0 0, T1 1, T2 2, T3 3);
impl_handler!(5; T0 0, T1 1, T2 2, T3 3, T4 4);
impl_handler!(6; T0 0, T1 1, T2 2, T3 3, T4 4, T5 5);
impl_handler!(7; T0 0, T1 1, T2 2, T3 3, T4 4, T5 5, T6 6);
impl_handler!(8; T0 0, T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7);
impl_handler!(9; T0 0, T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7, T8 8);
impl_handler!(10; T0 0, T1 1, T2 2, T3 3, T4 4, T5 5, T6 6, T7 7, T8 8, T9 9);
