//! A minimal chaincode, served as Fabric expects: flags and environment decide between a
//! chaincode server (CCaaS) and classic mode, with TLS if configured.
//!
//! ```text
//! CHAINCODE_SERVER_ADDRESS=0.0.0.0:9999 CHAINCODE_ID=assets_1.0:<sha256> \
//!     cargo run -p fabric-chaincode --example asset_server
//! ```
//!
//! Functions: `Put key value`, `Get key`, `Delete key`.

use std::process::ExitCode;

use fabric_chaincode::chaincode::{error, error_with_status, success};
use fabric_chaincode::{Chaincode, Response, Stub};

struct Assets;

impl Assets {
    async fn call(stub: &Stub) -> fabric_chaincode::Result<Response> {
        let (function, args) = stub.function_and_parameters()?;
        let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
        Ok(match function.as_str() {
            "Put" => {
                stub.put_state(arg(0), arg(1).as_bytes().to_vec()).await?;
                success("")
            }
            "Get" => match stub.get_state(arg(0)).await? {
                Some(value) => success(value),
                None => error_with_status(404, format!("{} does not exist", arg(0))),
            },
            "Delete" => {
                stub.del_state(arg(0)).await?;
                success("")
            }
            other => error_with_status(400, format!("unknown function {other:?}")),
        })
    }
}

impl Chaincode for Assets {
    async fn invoke(&self, stub: Stub) -> Response {
        Assets::call(&stub)
            .await
            .unwrap_or_else(|e| error(e.to_string()))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    match fabric_chaincode::run(Assets).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("asset_server: {e}");
            ExitCode::FAILURE
        }
    }
}
